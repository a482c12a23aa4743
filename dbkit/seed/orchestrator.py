"""Orchestrator rows: sessions that spawn Claude agents in git worktrees, their prompts, event logs and chat.

The numbers add up: an agent's input/output tokens are the sums of the `usage` in its response
logs' payloads, and its `total_cost` prices them at its model's rate; an orchestrator's own tokens
are the `usage` in the metadata of the chat messages it sent. `total_cost` of an orchestrator is its
own spend only: what a session cost in all is its own plus `sum(agents.total_cost)`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from ._context import END, START, SeedContext, Table

# model -> (USD per million input tokens, per million output tokens), and how often agents use it
MODELS = {
    "claude-sonnet-4-5-20250929": (3, 15),
    "claude-sonnet-4-20250514": (3, 15),
    "claude-opus-4-1-20250805": (15, 75),
    "claude-haiku-4-5-20251001": (1, 5),
}
MODEL_WEIGHTS = (50, 20, 15, 15)
REPOS = ("payments-api", "web-dashboard", "agent-observability", "billing-worker", "docs-site")
ROLES = {  # role -> (its prompt, what it reports back)
    "planner": (
        "Read the codebase and write a step-by-step plan to specs/{slug}.md. Do not edit code.",
        "Plan for {slug} written to specs/{slug}.md: 6 steps, 2 open questions at the end.",
    ),
    "builder": (
        "Implement the plan in specs/{slug}.md in your worktree. Commit when the tests pass.",
        "Done: {slug} is implemented and all tests pass. Committed in {wt}.",
    ),
    "tester": (
        "Write and run tests for {slug}. Report failures with the failing assertion and a suggested fix.",
        "{slug}: 9 new tests, all passing; coverage of the touched modules is 91%.",
    ),
    "reviewer": (
        "Review the diff for {slug} against main. List blocking issues first, then suggestions.",
        "Review of {slug}: 1 blocking issue (missing timeout on the HTTP client), 3 suggestions.",
    ),
    "documenter": (
        "Update README.md and docs/ for {slug}. Keep examples runnable.",
        "Docs for {slug} updated: README section and docs/usage.md; examples run.",
    ),
    "scout": (
        "Find every place in the codebase that {slug} touches and list the files with one line each.",
        "{slug} touches 7 files; list with one line each is in the log.",
    ),
    "fixer": (
        "Fix the failing checks on the branch for {slug}; touch nothing else.",
        "Checks for {slug} are green again: one import order fix, one flaky sleep replaced.",
    ),
}
BLOCKED = "{slug}: blocked on a missing environment variable (STRIPE_API_KEY) in {wt}; please advise."
ADW_STEPS = ("plan", "build", "test", "review", "document")
TASKS = (
    "add-rate-limiting",
    "fix-flaky-login-test",
    "migrate-to-pydantic-v2",
    "add-websocket-reconnect",
    "document-hook-events",
    "refactor-cost-tracking",
    "upgrade-fastapi",
    "add-csv-export",
    "paginate-agent-logs",
)
FILES = (
    "src/app/main.py",
    "src/app/routes/orders.py",
    "src/app/middleware/rate_limit.py",
    "tests/test_rate_limit.py",
    "pyproject.toml",
    "README.md",
    "src/app/models.py",
    "frontend/src/components/AgentList.vue",
    "src/app/websocket.py",
    "migrations/0009_agent_logs_index.sql",
)
COMMANDS = (  # (command, what it printed)
    ("uv run pytest -q", "41 passed, 1 skipped in 3.84s"),
    ("uv run pytest tests/test_rate_limit.py -x", "1 failed, 6 passed"),
    ("git status --short", " M src/app/main.py\n?? tests/test_rate_limit.py"),
    ("git diff --stat", " 3 files changed, 88 insertions(+), 12 deletions(-)"),
    ("uv run ruff check .", "All checks passed!"),
    ("uv run mypy src", "Success: no issues found in 24 source files"),
    ("npm run build", "built in 2.41s"),
    ("git log --oneline -3", "e3b1c2a Add limiter\n9f0d1e4 Wire settings\n41aa0c7 Initial"),
)
TOOL_WEIGHTS = {"Bash": 30, "Read": 25, "Edit": 15, "Grep": 10, "Glob": 5, "Write": 5, "TodoWrite": 5, "Task": 3, "WebFetch": 2}
THOUGHTS = (
    "The failing test keys the limiter on client IP, but behind the proxy every request shares one IP.",
    "Before editing I should read the existing middleware order; the limiter must run after authentication.",
    "The plan says to keep the public API stable, so the new parameter needs a default.",
    "Two tests touch the same fixture; the flakiness is shared state, not timing.",
    "I have enough context. Next: run the focused test, then the whole suite.",
)
CREATE_ASKS = (
    "Create a {role} agent for {slug} in {repo}.",
    "Spin up a {role} on {slug}, please.",
    "We need a {role} for {slug}; use a fresh worktree.",
)
STATUS_ASKS = ("What is the status of all agents?", "How much have we spent so far?", "Is anyone blocked?")
LOG_LINES = {
    "DEBUG": (
        "Hook {event} received for agent {name}",
        "Broadcast {n} log entries to 2 WebSocket clients",
        "DB pool: {n}/10 connections in use",
    ),
    "INFO": (
        "Agent {name} created with {model} in {wt}",
        "Agent {name} finished task {slug}",
        "WebSocket client connected from 127.0.0.1",
        "Cost update: agent {name} at ${cost}",
    ),
    "WARNING": (
        "Anthropic API returned 429; retrying in {n}s",
        "Agent {name} context at {n}0%: compaction triggered",
        "Slow query ({n}00 ms) on agent_logs ORDER BY timestamp DESC",
    ),
    "ERROR": (
        "Hook payload for agent {name} failed validation: missing tool_name",
        "Agent {name} process exited with code 1",
        "WebSocket send failed: connection closed by client",
    ),
}
SOURCES = (
    "backend/main.py",
    "backend/modules/agent_manager.py",
    "backend/modules/websocket_manager.py",
    "backend/modules/hooks.py",
    "backend/modules/database.py",
    "backend/modules/cost_tracker.py",
)
TABLES = ("orchestrator_agents", "agents", "prompts", "agent_logs", "system_logs", "orchestrator_chat")  # load order
HOOKS = ("PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop", "SubagentStop", "PreCompact")


def generate(ctx: SeedContext) -> list[Table]:
    """Every orchestrator table, parents first: sessions one after another, then server logs about their agents."""
    t = {name: Table(name) for name in TABLES}
    agents, sessions = [], 4 * ctx.scale
    span = (END - START - timedelta(days=3)) / sessions
    for n in range(sessions):  # one after another; only the last one is still live at END
        live = n == sessions - 1
        created = (
            ctx.after(END - timedelta(hours=40), max_seconds=36000)
            if live
            else ctx.timestamp(START + n * span, START + (n + 1) * span)
        )
        agents += _session(ctx, t, created, archived=n < sessions // 2, live=live)
    for _ in range(500 * ctx.scale):
        _system_log(ctx, t["system_logs"], ctx.random.choice(agents))
    return list(t.values())


def _session(ctx: SeedContext, t: dict[str, Table], created, *, archived: bool, live: bool) -> list[dict]:
    r = ctx.random
    oid, repo = ctx.uuid(), r.choice(REPOS)
    model = ctx.choice(("claude-opus-4-1-20250805", "claude-sonnet-4-5-20250929"), (1, 2))
    home = f"/home/{ctx.fake.user_name()}/code/{repo}"
    own = [0, 0]  # the orchestrator's input and output tokens

    def say(at, sender, receiver, message, agent=None):
        meta = {}
        if sender == "orchestrator":
            meta = {"usage": {"input_tokens": r.randint(4000, 60000), "output_tokens": r.randint(80, 1200)}, "model": model}
            own[0] += meta["usage"]["input_tokens"]
            own[1] += meta["usage"]["output_tokens"]
        summary = message if len(message) < 80 else message[:77] + "..."
        t["orchestrator_chat"].add(
            id=ctx.uuid(),
            created_at=at,
            updated_at=at,
            orchestrator_agent_id=oid,
            sender_type=sender,
            receiver_type=receiver,
            message=message,
            summary=summary,
            agent_id=agent and agent["id"],
            metadata=meta,
        )

    agents: list[dict[str, Any]] = []
    moment = created + timedelta(seconds=r.randint(20, 300))
    for role in r.sample(list(ROLES), 5):
        slugs = r.sample(TASKS, r.randint(2, 3))
        if agents and r.random() < 0.4:
            spent = ", ".join(f"{a['name']} ({_price(a['model'], *a['tokens'])} USD)" for a in agents)
            say(moment - timedelta(seconds=90), "user", "orchestrator", r.choice(STATUS_ASKS))
            say(moment - timedelta(seconds=80), "orchestrator", "user", f"{len(agents)} agents so far: {spent}.")
        say(moment, "user", "orchestrator", r.choice(CREATE_ASKS).format(role=role, slug=slugs[0], repo=repo))
        say(
            moment + timedelta(seconds=r.randint(3, 20)),
            "orchestrator",
            "user",
            f"Creating {role} for {slugs[0]} in a new worktree.",
        )
        start = moment + timedelta(seconds=r.randint(20, 60))
        agents.append(_agent(ctx, t, oid, role, home, start, slugs, say, live))
        moment += timedelta(seconds=r.randint(120, 1800))  # the next agent starts while this one works
    last = max(a["updated"] for a in agents) + timedelta(seconds=5)
    busy = [a["name"] for a in agents if a["unfinished"]]
    say(
        last,
        "orchestrator",
        "user",
        f"Still working: {', '.join(busy)}." if busy else f"All {len(agents)} agents have reported back.",
    )
    status = "executing" if busy else "complete" if archived else ctx.choice(("idle", "waiting", "complete"), (3, 1, 2))
    prompt = (
        f"You are the orchestrator for {repo}. Create, command and monitor Claude Code agents; never edit "
        "files yourself. Report costs when asked."
    )
    t["orchestrator_agents"].add(
        id=oid,
        session_id=str(ctx.uuid()),
        system_prompt=prompt,
        status=status,
        working_dir=home,
        input_tokens=own[0],
        output_tokens=own[1],
        total_cost=_price(model, *own),
        archived=archived,
        metadata={"model": model, "repo": repo},
        created_at=created,
        updated_at=last,
    )
    return agents


def _agent(ctx: SeedContext, t: dict[str, Table], oid, role: str, home: str, start, slugs: list[str], say, live: bool) -> dict:
    """One agent's tasks (a prompt and its event log each); returns its bookkeeping: tokens, reply, last update."""
    r = ctx.random
    aid, model = ctx.uuid(), ctx.choice(list(MODELS), MODEL_WEIGHTS)
    adw, session = f"{r.getrandbits(32):08x}", str(ctx.uuid())
    agent = {
        "id": aid,
        "name": role,
        "adw": adw,
        "tokens": [0, 0],
        "start": start,
        "model": model,
        "wt": f"trees/{adw}",
        "context": r.randint(6000, 14000),
    }  # context: what each response re-reads
    moment = start
    for k, slug in enumerate(slugs):
        step = agent["step"] = ADW_STEPS[min(k + list(ROLES).index(role) // 2, len(ADW_STEPS) - 1)]
        prompt = ROLES[role][0].format(slug=slug)
        author = ctx.choice(("orchestrator_agent", "engineer"), (4, 1))
        t["prompts"].add(
            id=ctx.uuid(),
            agent_id=aid,
            task_slug=slug,
            author=author,
            prompt_text=prompt,
            summary=f"{role}: {slug}",
            timestamp=moment,
            session_id=session,
        )
        if author == "orchestrator_agent":
            say(moment, "orchestrator", "agent", prompt, agent)
        unfinished = live and k == len(slugs) - 1 and r.random() < 0.4
        moment = _task_logs(ctx, t["agent_logs"], agent, session, slug, prompt, moment, unfinished)
        if not unfinished:
            say(moment + timedelta(seconds=2), "agent", "orchestrator", agent["reply"], agent)
        agent["updated"], agent["unfinished"] = moment, unfinished
        moment += timedelta(seconds=r.randint(30, 600))
    blocked = agent["reply"].startswith(f"{slug}: blocked")
    status = "executing" if unfinished else "blocked" if blocked else ctx.choice(("complete", "idle"), (2, 1))
    t["agents"].add(
        id=aid,
        orchestrator_agent_id=oid,
        name=role,
        model=model,
        system_prompt=ROLES[role][0].format(slug="the task you are given"),
        working_dir=f"{home}/{agent['wt']}",
        git_worktree=agent["wt"],
        status=status,
        session_id=session,
        adw_id=adw,
        adw_step=step,
        input_tokens=agent["tokens"][0],
        output_tokens=agent["tokens"][1],
        total_cost=_price(model, *agent["tokens"]),
        archived=status == "complete" and r.random() < 0.3,
        metadata={"role": role, "max_turns": 60},
        created_at=start,
        updated_at=agent["updated"],
    )
    return agent


def _task_logs(ctx: SeedContext, logs: Table, agent: dict, session: str, slug: str, prompt: str, moment, unfinished):
    """One task's hook and response events, entry_index counting from 0; returns when the task stopped."""
    r, first = ctx.random, len(logs.rows)

    def log(kind, content, payload, summary, gap):
        nonlocal moment
        moment += timedelta(milliseconds=r.randint(*gap))
        if kind in HOOKS:
            payload = {"hook_event_name": kind, **payload}
        elif kind != "tool_result":  # what the model produced: it read the whole context to do so
            payload["usage"] = {"input_tokens": agent["context"], "output_tokens": r.randint(40, 900)}
            agent["tokens"][0] += agent["context"]
            agent["tokens"][1] += payload["usage"]["output_tokens"]
        logs.add(
            id=ctx.uuid(),
            agent_id=agent["id"],
            session_id=session,
            task_slug=slug,
            adw_id=agent["adw"],
            adw_step=agent["step"],
            entry_index=len(logs.rows) - first,
            event_category="hook" if kind in HOOKS else "response",
            event_type=kind,
            content=content,
            payload=payload,
            summary=summary,
            timestamp=moment,
        )

    log("UserPromptSubmit", prompt, {"prompt": prompt}, "Task received", (500, 2000))
    log("thinking", r.choice(THOUGHTS), {}, "Planning the approach", (2000, 9000))
    for turn in range(r.randint(2, 6) if unfinished else r.randint(8, 20)):
        tool = ctx.choice(list(TOOL_WEIGHTS), list(TOOL_WEIGHTS.values()))
        tool_input, result = _tool(r, tool, slug)
        use_id, short = f"toolu_01{r.getrandbits(64):016x}", next(iter(tool_input.values()))
        short = short if isinstance(short, str) else tool
        call = {"tool_name": tool, "tool_input": tool_input}
        log("tool_use", f"{tool}: {short}", {**call, "tool_use_id": use_id}, f"{tool} {short[:60]}", (1500, 8000))
        log("PreToolUse", None, call, None, (5, 60))
        if tool == "Task":
            log("SubagentStop", None, {"stop_hook_active": False}, "Subagent finished", (20000, 90000))
        failed = tool == "Bash" and "failed" in result
        log(
            "PostToolUse", None, {**call, "tool_response": {"success": not failed}}, None, (200, 30000 if tool == "Bash" else 900)
        )
        outcome = f"{tool} {'failed' if failed else 'ok'}"
        log("tool_result", result, {"tool_use_id": use_id, "is_error": failed}, outcome, (5, 40))
        agent["context"] += r.randint(3000, 9000) if tool in ("Read", "Task", "WebFetch") else r.randint(300, 2500)
        if agent["context"] > 100_000:
            log("PreCompact", None, {"trigger": "auto"}, "Context compacted", (100, 500))
            agent["context"] = r.randint(15000, 25000)
        if turn % 4 == 3 and r.random() < 0.5:
            log("thinking", r.choice(THOUGHTS), {}, "Re-planning", (2000, 9000))
    if not unfinished:
        text = (BLOCKED if r.random() < 0.08 else ROLES[agent["name"]][1]).format(slug=slug, wt=agent["wt"])
        agent["reply"] = text
        log("text", text, {}, text[:80], (2000, 8000))
        log("Stop", None, {"stop_hook_active": False}, "Agent stopped", (50, 400))
    return moment


def _tool(r, tool: str, slug: str) -> tuple[dict, str]:
    """A tool's input and a plausible result."""
    path = r.choice(FILES)
    if tool == "Bash":
        command, output = r.choice(COMMANDS)
        return {"command": command, "description": f"Check {slug}"}, output
    if tool in ("Read", "Edit", "Write"):
        change = {
            "Read": {},
            "Edit": {"old_string": "limit = 100", "new_string": "limit = settings.rate_limit"},
            "Write": {"content": f"# {slug}\n"},
        }[tool]
        return {"file_path": path, **change}, f"{r.randint(20, 400)} lines read" if tool == "Read" else f"Saved {path}"
    if tool == "Grep":
        pattern = r.choice(("rate_limit", "def login", "BaseModel", "websocket"))
        return {"pattern": pattern, "path": "src"}, f"{r.randint(1, 12)} matches"
    if tool == "Glob":
        return {"pattern": r.choice(("**/*.py", "tests/test_*.py", "src/**/*.vue"))}, f"{r.randint(3, 60)} files"
    if tool == "TodoWrite":
        todos = [
            {"content": f"{verb} {slug}", "status": r.choice(("pending", "in_progress", "completed"))}
            for verb in ("Plan", "Implement", "Test")
        ]
        return {"todos": todos}, "Todos updated"
    if tool == "Task":
        return {"description": f"Find usages for {slug}", "subagent_type": "general-purpose"}, "Found 7 call sites"
    return {
        "url": "https://docs.python.org/3/library/asyncio.html",
        "prompt": "How does asyncio.timeout work?",
    }, "asyncio.timeout() is an async context manager that cancels the block after the delay."


def _system_log(ctx: SeedContext, table: Table, agent: dict) -> None:
    r = ctx.random
    level = ctx.choice(("DEBUG", "INFO", "WARNING", "ERROR"), (35, 45, 14, 6))
    message = r.choice(LOG_LINES[level]).format(
        event=r.choice(HOOKS[:2]),
        name=agent["name"],
        n=r.randint(2, 9),
        model=agent["model"],
        wt=agent["wt"],
        slug=r.choice(TASKS),
        cost=_price(agent["model"], *agent["tokens"]),
    )
    tied = r.random() < 0.6  # the rest is about the server, not one agent's workflow
    table.add(
        id=ctx.uuid(),
        file_path=f"apps/orchestrator_3_stream/{r.choice(SOURCES)}",
        adw_id=agent["adw"] if tied else None,
        adw_step=agent["step"] if tied else None,
        level=level,
        message=message,
        summary=message.split(":")[0][:60],
        metadata={"agent_id": str(agent["id"])} if tied else {},
        timestamp=ctx.timestamp(agent["start"], agent["updated"]),
    )


def _price(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    """USD at the model's list price, to the 4 decimals of numeric(10,4)."""
    per_in, per_out = MODELS[model]
    return (Decimal(input_tokens * per_in + output_tokens * per_out) / 1_000_000).quantize(Decimal("0.0001"))
