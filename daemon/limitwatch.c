/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* The daemon's limits that raise a "limit" system alert, looked at once a tick. */
#include "limitwatch.h"

void limitwatch_init(struct limitwatch *watch, int64_t now_ms)
{
	*watch = (struct limitwatch){ .last_hit_ms = now_ms };
}

void limitwatch_hit(struct limitwatch *watch, int64_t now_ms)
{
	watch->hits++;
	watch->last_hit_ms = now_ms;
}

void limitwatch_count(struct limitwatch *watch, uint64_t hits, int64_t now_ms)
{
	if (hits > watch->hits) {
		watch->hits = hits;
		watch->last_hit_ms = now_ms;
	}
}

/* Journal and apply the raise or resolve of about's limit alert. */
static void limitwatch_announce(const struct limitwatch *watch, const struct control *about,
				bool firing, uint32_t quiet_seconds,
				const struct limitwatch_hooks *hooks)
{
	struct control control = *about;

	control.kind = CONTROL_CONNECTION_LIMIT;
	control.firing = firing;
	control.refused = watch->hits;
	control.seconds = quiet_seconds;
	hooks->control(hooks->ctx, &control);
}

enum limitwatch_step limitwatch_tick(struct limitwatch *watch, const struct control *about,
				     uint32_t quiet_seconds, int64_t now_ms,
				     const struct limitwatch_hooks *hooks)
{
	bool open = hooks->is_open && hooks->is_open(hooks->ctx, "limit", about->key);

	if (watch->hits > watch->announced) {
		watch->announced = watch->hits;
		if (open)
			return LIMITWATCH_NOTHING;
		limitwatch_announce(watch, about, true, quiet_seconds, hooks);
		return LIMITWATCH_RAISED;
	}
	if (open && now_ms - watch->last_hit_ms >= (int64_t)quiet_seconds * 1000) {
		limitwatch_announce(watch, about, false, quiet_seconds, hooks);
		return LIMITWATCH_RESOLVED;
	}
	return LIMITWATCH_NOTHING;
}
