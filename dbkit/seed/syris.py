"""SYRIS rows: events traced through routing, tasks, steps and tool calls to the audit log, plus the upkeep tables.

One `trace_id` follows an event through `routing_decisions`, `tasks`, `steps`, `tool_calls`, `tool_results`
and `audit_events`; `audit_events.payload_ref` names an `artifacts.ref_id`, `ref_task_id` a `tasks.id`.
Most traces are history; the 20 hours before END are live: running, pending and waiting tasks, the
waiting ones held by an approval still pending at END or by a retry back-off.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ._context import END, START, SeedContext, Table

# event type -> (channel, sources, route, task, steps as "name:tool" or a bare name when no tool runs)
EVENT_TYPES = {
    "email.received": (
        "email",
        ("gmail:inbox", "gmail:support"),
        "triage.email",
        "triage_email",
        ("classify", "summarize:llm.complete", "draft_reply:gmail.create_draft", "send_reply:gmail.send"),
    ),
    "mention.received": (
        "slack",
        ("slack:#ops", "slack:#eng", "slack:dm"),
        "assistant.reply",
        "answer_mention",
        ("fetch_thread:slack.conversations_history", "answer:llm.complete", "post_reply:slack.chat_postMessage"),
    ),
    "github.pull_request.opened": (
        "webhook",
        ("github",),
        "code.review",
        "review_pull_request",
        ("fetch_diff:github.get_pull_diff", "review:llm.complete", "post_review:github.create_review"),
    ),
    "stripe.invoice.payment_failed": (
        "webhook",
        ("stripe",),
        "billing.dunning",
        "handle_failed_payment",
        ("lookup_customer:stripe.get_customer", "send_notice:gmail.send", "log_crm:hubspot.create_note"),
    ),
    "pagerduty.incident.triggered": (
        "webhook",
        ("pagerduty",),
        "ops.incident",
        "incident_response",
        ("acknowledge:pagerduty.acknowledge", "gather_logs:http.get", "notify:slack.chat_postMessage"),
    ),
    "schedule.fired": (
        "cron",
        ("scheduler",),
        "schedule.digest",
        "daily_digest",
        ("collect:gmail.search", "summarize:llm.complete", "send:slack.chat_postMessage"),
    ),
}
EVENT_WEIGHTS = (35, 20, 12, 6, 7, 20)
TOOL_ARGS: dict[str, dict[str, Any]] = {
    "llm.complete": {"model": "claude-sonnet-4-5", "max_tokens": 1024, "temperature": 0.2},
    "gmail.create_draft": {"to": "customer", "thread": True},
    "gmail.send": {"to": "customer", "draft": True},
    "gmail.search": {"query": "is:unread newer_than:1d", "max_results": 50},
    "slack.conversations_history": {"limit": 100},
    "slack.chat_postMessage": {"unfurl_links": False},
    "github.get_pull_diff": {"format": "unified"},
    "github.create_review": {"event": "COMMENT"},
    "stripe.get_customer": {"expand": ["subscriptions"]},
    "hubspot.create_note": {"object": "contact"},
    "pagerduty.acknowledge": {"from": "syris@syris.local"},
    "http.get": {"url": "https://logs.internal/api/search"},
}
RISKY = {"send_reply": "high", "send_notice": "high", "post_review": "medium", "post_reply": "low"}  # need approval
DROP_REASONS = (
    "sender on blocklist",
    "duplicate of an event already routed",
    "no rule matched: logged only",
    "bot message: ignored",
)
ERRORS = {
    "error": ("HTTP 502 from upstream", "HTTP 429: rate limited", "invalid_grant: token expired"),
    "timeout": ("no response within 30 s",),
}
APPROVERS = ("alice@syris.local", "bob@syris.local", "oncall@syris.local")
SUBJECTS = (
    "Invoice #4471 overdue",
    "Can we move Thursday's call?",
    "Contract renewal",
    "Password reset request",
    "Quarterly report draft",
    "Outage follow-up",
)
SCHEDULES = (  # name, cron, interval_s, period in seconds (for next_run_at), enabled
    ("daily-digest", "0 7 * * 1-5", None, 86400, True),
    ("weekly-report", "0 16 * * FRI", None, 604800, True),
    ("artifact-backup", "30 2 * * *", None, 86400, True),
    ("dedupe-gc", "0 3 * * SUN", None, 604800, False),
    ("inbox-poll", None, 60, 60, True),
    ("calendar-sync", None, 300, 300, True),
    ("heartbeat", None, 30, 30, True),
    ("stale-approval-sweep", None, 900, 900, True),
)
WATCHERS = ("gmail", "slack", "github", "pagerduty", "calendar", "heartbeat")
RULES: tuple[tuple[Any, ...], ...] = (  # name, condition, action, enabled, base priority (lower runs first)
    (
        "stripe failures to dunning",
        {"all": [{"field": "event_type", "op": "eq", "value": "stripe.invoice.payment_failed"}]},
        {"route": "billing.dunning"},
        True,
        10,
    ),
    (
        "drop newsletters",
        {
            "all": [
                {"field": "channel", "op": "eq", "value": "email"},
                {"field": "payload.from", "op": "contains", "value": "newsletter"},
            ]
        },
        {"route": "drop"},
        True,
        20,
    ),
    (
        "approve outbound email",
        {"any": [{"field": "tool", "op": "eq", "value": "gmail.send"}]},
        {"require_approval": {"risk": "high", "expires_in_s": 86400}},
        True,
        5,
    ),
    (
        "page on critical incidents",
        {"all": [{"field": "payload.urgency", "op": "eq", "value": "high"}]},
        {"route": "ops.incident", "notify": "#ops"},
        True,
        15,
    ),
    (
        "review PRs from humans",
        {"all": [{"field": "payload.author_type", "op": "eq", "value": "User"}]},
        {"route": "code.review"},
        True,
        50,
    ),
    ("mute #random", {"all": [{"field": "payload.channel", "op": "eq", "value": "#random"}]}, {"route": "drop"}, False, 90),
    (
        "weekend digest off",
        {
            "all": [
                {"field": "schedule", "op": "eq", "value": "daily-digest"},
                {"field": "weekday", "op": "in", "value": ["Sat", "Sun"]},
            ]
        },
        {"skip": True},
        True,
        30,
    ),
    ("default triage", {"all": []}, {"route": "triage.email"}, True, 100),
)
COMPONENTS = ("pipeline", "scheduler", "gmail-watcher", "slack-watcher", "database", "llm-gateway")
ALARMS = (  # dedupe key, severity, title
    ("health:llm-gateway:degraded", "warning", "LLM gateway p95 latency above 8 s"),
    ("watcher:gmail:auth", "critical", "Gmail watcher cannot refresh its OAuth token"),
    ("queue:backlog", "warning", "More than 50 tasks waiting for over 10 minutes"),
    ("approvals:stale", "info", "Approvals pending for more than 12 hours"),
    ("disk:artifacts", "warning", "Artifact store above 85% of its quota"),
)
PIPELINE = (
    "events",
    "routing_decisions",
    "tasks",
    "steps",
    "tool_calls",
    "tool_results",
    "idempotency_outcomes",
    "artifacts",
    "audit_events",
    "approvals",
)  # filled trace by trace
UPKEEP = ("schedules", "watcher_state", "rules", "system_health", "alarms")


def generate(ctx: SeedContext) -> list[Table]:
    """Every syris table in load order: the pipeline's, filled trace by trace, then the upkeep tables."""
    t = {name: Table(name) for name in PIPELINE + UPKEEP}
    history, live = 140 * ctx.scale, 24 * ctx.scale
    moments = sorted(
        [ctx.timestamp(START, END - timedelta(days=2)) for _ in range(history)]
        + [ctx.timestamp(END - timedelta(hours=20), END - timedelta(minutes=10)) for _ in range(live)]
    )
    for n, at in enumerate(moments):
        _trace(ctx, t, at, live=n >= history)
    # The upkeep tables draw from the random stream in this order, not in the order they are returned.
    for i, (name, condition, action, enabled, base) in enumerate(RULES, 1):
        t["rules"].add(
            id=i, name=name, condition=condition, action=action, enabled=enabled, priority=base + ctx.random.randint(0, 4)
        )
    _schedules(ctx, t["schedules"])
    _watchers(ctx, t["watcher_state"])
    _health(ctx, t)
    return list(t.values())


def _add(table: Table, **values) -> int:
    """Append a row with the next id (1, 2, ...: the auto-increment values, given explicitly) and return the id."""
    row_id = len(table.rows) + 1
    table.add(id=row_id, **values)
    return row_id


def _ms(ctx: SeedContext, low: int, high: int) -> timedelta:
    return timedelta(milliseconds=ctx.random.randint(low, high))


def _artifact(ctx: SeedContext, t: dict[str, Table], content_type: str, at, redacted: bool) -> str:
    ref = f"art_{ctx.random.getrandbits(64):016x}"
    sealed = ctx.random.randbytes(12 + ctx.random.randint(64, 1500) + 16)  # AES-GCM's shape: nonce, body, tag
    _add(t["artifacts"], ref_id=ref, content_type=content_type, ciphertext=sealed, redacted=redacted, created_at=at)
    return ref


def _audit(t: dict[str, Table], trace: str, when, kind: str, outcome: str, tool=None, task=None, summary=None, ref=None) -> None:
    _add(
        t["audit_events"],
        trace_id=trace,
        timestamp=when,
        type=kind,
        outcome=outcome,
        tool_name=tool,
        ref_task_id=task,
        summary=summary,
        payload_ref=ref,
    )


def _trace(ctx: SeedContext, t: dict[str, Table], at, *, live: bool) -> None:
    r = ctx.random
    event_type = ctx.choice(list(EVENT_TYPES), EVENT_WEIGHTS)
    channel, sources, route, task_name, plan = EVENT_TYPES[event_type]
    trace, source, tag = f"tr_{r.getrandbits(64):016x}", r.choice(sources), f"{r.getrandbits(48):012x}"
    payload = {
        "email": {
            "from": f"{ctx.fake.user_name()}@{r.choice(('acme.io', 'gmail.com', 'initech.com'))}",
            "subject": r.choice(SUBJECTS),
            "message_id": f"<{tag}@mail.gmail.com>",
        },
        "slack": {
            "channel": source[6:] if source != "slack:dm" else "D04",
            "user": f"U0{tag[:8].upper()}",
            "text": "@syris can you summarise this thread?",
            "ts": f"{int(at.timestamp())}.{tag[:6]}",
        },
        "webhook": {"delivery": tag, "source": source, "urgency": r.choice(("high", "low"))},
        "cron": {"schedule": "daily-digest", "fired_at": at.isoformat()},
    }[channel]
    dedupe = None if channel == "cron" or r.random() < 0.08 else f"{source}:{tag}"  # cron firings are never deduped
    event_id = _add(
        t["events"],
        trace_id=trace,
        channel=channel,
        source=source,
        event_type=event_type,
        payload=payload,
        dedupe_key=dedupe,
        ingested_at=at,
    )
    raw = _artifact(ctx, t, "message/rfc822" if channel == "email" else "application/json", at, channel == "email")
    _audit(t, trace, at, "event.ingested", "success", summary=f"{channel} {event_type} from {source}", ref=raw)
    decided = at + _ms(ctx, 15, 400)
    dropped = not live and r.random() < 0.1
    reason = r.choice(DROP_REASONS) if dropped else f"rule matched: event_type = {event_type}"
    _add(
        t["routing_decisions"],
        event_id=event_id,
        trace_id=trace,
        route="drop" if dropped else route,
        reason=reason,
        decided_at=decided,
    )
    _audit(t, trace, decided, "routing.decided", "success", summary=f"route {'drop' if dropped else route}: {reason}")
    if not dropped:
        _task(ctx, t, trace, task_name, [(*step.split(":"), None)[:2] for step in plan], decided + _ms(ctx, 5, 200), live)


def _outcome(ctx: SeedContext, plan, live: bool) -> tuple[str | None, str, int | None]:
    """(approval status or None, how the task ends, the step where it stops or None)."""
    r = ctx.random
    risky = next((i for i, (step, _) in enumerate(plan) if step in RISKY), None)
    approval = None
    if risky is not None and r.random() < (0.7 if live else 0.35):
        approval = "pending" if live else ctx.choice(("approved", "denied", "expired"), (70, 15, 15))
    if approval in ("pending", "denied", "expired"):
        return approval, "waiting" if approval == "pending" else "cancelled", risky
    if live:
        kind = ctx.choice(("running", "pending", "backoff", "succeeded"), (4, 2, 2, 3))
    else:
        kind = "failed" if r.random() < 0.14 else "succeeded"
    return approval, kind, 0 if kind == "pending" else None if kind == "succeeded" else r.randrange(1, len(plan))


def _task(ctx: SeedContext, t: dict[str, Table], trace: str, name: str, plan, created, live: bool) -> None:
    r = ctx.random
    task_id = len(t["tasks"].rows) + 1  # the task's row is added last, once its steps say how it ended
    _audit(t, trace, created, "task.created", "success", task=task_id, summary=name)
    approval, kind, stop = _outcome(ctx, plan, live)
    status = "waiting" if kind == "backoff" else kind
    moment, attempts, wake = created + _ms(ctx, 10, 3000), 1, None
    for seq, (step, tool) in enumerate(plan, 1):
        key, given = f"{trace}:{task_id}:{seq}:{step}" if tool else None, {"trace_id": trace, "seq": seq}
        if stop is not None and (seq - 1 > stop or (seq - 1 == stop and kind == "pending")):
            if status in ("running", "waiting", "pending"):  # not reached yet; failed and cancelled tasks end here
                _add(
                    t["steps"],
                    task_id=task_id,
                    seq=seq,
                    name=step,
                    status="pending",
                    idempotency_key=key,
                    input=given,
                    output=None,
                    started_at=None,
                    finished_at=None,
                )
            continue
        started, step_id = moment, len(t["steps"].rows) + 1
        step_status, output = "succeeded", _ok()
        if approval and step in RISKY:
            moment, step_status, wake = _approval(ctx, t, trace, task_id, name, step, tool, approval, moment)
            output = {"ok": True} if step_status == "succeeded" else None
        if step_status == "succeeded" and tool:
            results: list[str | None] = ["ok"]
            if seq - 1 == stop and kind in ("failed", "backoff"):
                results = [ctx.choice(("error", "timeout"), (3, 1)) for _ in range(3 if kind == "failed" else 2)]
            elif seq - 1 == stop and kind == "running":
                results = [None]  # in flight at END: a call without a result yet
            elif r.random() < 0.1:
                results = [ctx.choice(("error", "timeout"), (3, 1)), "ok"]  # one retry, same idempotency key
            for result in results:
                moment = _call(ctx, t, trace, step_id, tool, key, moment, result, task_id)
            attempts = max(attempts, len(results))
            if results[-1] != "ok":
                step_status, output = {"failed": "failed", "running": "running", "backoff": "waiting"}[kind], None
                wake = moment + timedelta(seconds=30 * 2 ** len(results)) if kind == "backoff" else None
        elif not tool:
            moment += _ms(ctx, 5, 400)
            output = {
                "label": r.choice(("billing", "scheduling", "support", "newsletter")),
                "confidence": round(r.uniform(0.6, 1), 2),
            }
        finished = moment if step_status in ("succeeded", "failed", "cancelled") else None
        _add(
            t["steps"],
            task_id=task_id,
            seq=seq,
            name=step,
            status=step_status,
            idempotency_key=key,
            input=given,
            output=output,
            started_at=started,
            finished_at=finished,
        )
        moment += _ms(ctx, 5, 500)
    if status in ("succeeded", "failed", "cancelled"):
        outcome = "success" if status == "succeeded" else "denied" if approval == "denied" else "failure"
        _audit(t, trace, moment, f"task.{status}", outcome, task=task_id, summary=f"{name} {status} after {attempts} attempt(s)")
    t["tasks"].add(
        id=task_id,
        trace_id=trace,
        name=name,
        status=status,
        attempts=attempts,
        next_wake_time=wake,
        created_at=created,
        updated_at=moment,
    )


def _approval(
    ctx: SeedContext, t: dict[str, Table], trace: str, task_id: int, name: str, step: str, tool: str, status: str, moment
):
    """Request an approval for a risky step; return (moment after, the step's status, its wake time)."""
    expires = moment + timedelta(hours=24)
    decided = {"pending": None, "expired": expires}.get(status, moment + _ms(ctx, 60_000, 7_200_000))
    decider = None if not decided else "system" if status == "expired" else ctx.random.choice(APPROVERS)
    _add(
        t["approvals"],
        trace_id=trace,
        action=f"{tool}: {step.replace('_', ' ')} for {name}",
        risk=RISKY[step],
        status=status,
        requested_at=moment,
        expires_at=expires,
        decided_at=decided,
        decided_by=decider,
    )
    _audit(t, trace, moment, "approval.requested", "success", tool, task_id, f"{step} needs {RISKY[step]}-risk approval")
    if status == "pending":
        return moment, "waiting", expires
    outcome = {"approved": "success", "denied": "denied"}.get(status, "failure")
    _audit(t, trace, decided, f"approval.{status}", outcome, tool, task_id, f"by {decider}")
    return decided, "succeeded" if status == "approved" else "cancelled", None


def _ok() -> dict[str, Any] | None:
    return {"ok": True}


def _call(ctx: SeedContext, t: dict[str, Table], trace: str, step_id: int, tool: str, key, at, result, task_id: int):
    """One tool call, its result (none while in flight), its audit row and, when it worked, its idempotency outcome."""
    r = ctx.random
    arguments = {**TOOL_ARGS[tool], "request_id": f"req_{r.getrandbits(40):010x}"}
    call_id = _add(
        t["tool_calls"], trace_id=trace, step_id=step_id, tool_name=tool, arguments=arguments, idempotency_key=key, created_at=at
    )
    if result is None:
        return at
    done = at + (timedelta(seconds=30) if result == "timeout" else _ms(ctx, 80, 9000))
    value = {"ok": True, "id": f"{tool.split('.', maxsplit=1)[0]}_{r.getrandbits(32):08x}"} if result == "ok" else None
    error = None if result == "ok" else r.choice(ERRORS[result])
    t["tool_results"].add(tool_call_id=call_id, status=result, result=value, error=error, completed_at=done)
    ref = None
    if result == "ok" and r.random() < 0.4:  # the call's full input and output, sealed
        ref = _artifact(ctx, t, "application/json", done, tool.startswith("gmail"))
    _audit(
        t,
        trace,
        done,
        "tool.call",
        "success" if result == "ok" else "failure",
        tool,
        task_id,
        f"{tool} {result}" + (f": {error}" if error else ""),
        ref,
    )
    if result == "ok" and key:
        outcome = {"status": "ok", "tool_call_id": call_id, "result": value}
        t["idempotency_outcomes"].add(idempotency_key=key, outcome=outcome, created_at=done, expires_at=done + timedelta(days=30))
    return done + _ms(ctx, 5, 200)


def _schedules(ctx: SeedContext, table: Table) -> None:
    for i, (name, cron, interval, period, enabled) in enumerate(SCHEDULES, 1):
        last = END - timedelta(seconds=ctx.random.uniform(0, period))
        table.add(
            id=i,
            name=name,
            cron=cron,
            interval_s=interval,
            payload={"task": name.replace("-", "_")},
            enabled=enabled,
            next_run_at=last + timedelta(seconds=period) if enabled else None,
            last_run_at=last,
        )


def _watchers(ctx: SeedContext, table: Table) -> None:
    r = ctx.random
    for watcher in WATCHERS:
        errors = ctx.choice((0, 0, 0, 1, 4))
        seen = {"cursor": f"{r.getrandbits(48):012x}", "seen": [f"{r.getrandbits(32):08x}" for _ in range(3)]}
        table.add(
            watcher_id=watcher,
            last_tick_at=END - _ms(ctx, 1000, 120_000),
            last_error=r.choice(ERRORS["error"]) if errors else None,
            error_count=errors,
            dedup_state=seen,
        )


def _health(ctx: SeedContext, t: dict[str, Table]) -> None:
    """Heartbeats every 30 minutes up to END, and alarms: resolved history plus at most one open per key."""
    r, health, alarms = ctx.random, t["system_health"], t["alarms"]
    active = r.sample(range(len(ALARMS)), 2)  # the first is open, the second open or acknowledged
    ticks = 60 * ctx.scale
    for k in range(ticks):
        at = END - timedelta(minutes=30 * (ticks - k))
        for component in COMPONENTS:
            sick = component == "llm-gateway" and 0 in active and k > ticks - 6  # the open LLM alarm shows here
            status = "degraded" if sick else ctx.choice(("ok", "degraded", "down"), (96, 3, 1))
            details = {"latency_ms": r.randint(4000, 12000) if sick else r.randint(20, 900), "queue_depth": r.randint(0, 40)}
            _add(health, recorded_at=at, component=component, status=status, details=details)
    for i, (key, severity, title) in enumerate(ALARMS):
        for _ in range(r.randint(1, 3)):
            opened = ctx.timestamp(START, END - timedelta(days=7))
            _add(
                alarms,
                dedupe_key=key,
                severity=severity,
                status="resolved",
                title=title,
                opened_at=opened,
                resolved_at=ctx.after(opened, max_seconds=6 * 3600),
            )
        if i in active:
            status = "open" if i == active[0] or r.random() < 0.5 else "acknowledged"
            _add(
                alarms,
                dedupe_key=key,
                severity=severity,
                status=status,
                title=title,
                opened_at=END - _ms(ctx, 600_000, 10_000_000),
                resolved_at=None,
            )
