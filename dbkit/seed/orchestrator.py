"""Orchestrator rows: sessions that spawn Claude agents in git worktrees, their prompts, event logs and chat.

The numbers add up: an agent's input/output tokens are the sums of the `usage` in its response
logs' payloads, and its `total_cost` prices them at its model's rate; an orchestrator's own tokens
are the `usage` in the metadata of the chat messages it sent. `total_cost` of an orchestrator is its
own spend only: what a session cost in all is its own plus `sum(agents.total_cost)`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ._context import END, START, SeedContext, Table

# model -> (USD per million input tokens, per million output tokens), and how often agents use it
MODELS = {"claude-sonnet-4-5-20250929": (3, 15), "claude-sonnet-4-20250514": (3, 15),
          "claude-opus-4-1-20250805": (15, 75), "claude-haiku-4-5-20251001": (1, 5)}
MODEL_WEIGHTS = (50, 20, 15, 15)
REPOS = ("payments-api", "web-dashboard", "agent-observability", "billing-worker", "docs-site")
ROLES = {  # role -> (its prompt, what it reports back)
    "planner": ("Read the codebase and write a step-by-step implementation plan to specs/{slug}.md. Do not edit code.",
                "Plan for {slug} written to specs/{slug}.md: 6 steps, 2 open questions at the end."),
    "builder": ("Implement the plan in specs/{slug}.md in your worktree. Commit when the tests pass.",
                "Done: {slug} is implemented and all tests pass. Committed in {wt}."),
    "tester": ("Write and run tests for {slug}. Report failures with the failing assertion and a suggested fix.",
               "{slug}: 9 new tests, all passing; coverage of the touched modules is 91%."),
    "reviewer": ("Review the diff for {slug} against main. List blocking issues first, then suggestions.",
                 "Review of {slug}: 1 blocking issue (missing timeout on the HTTP client), 3 suggestions."),
    "documenter": ("Update README.md and docs/ for {slug}. Keep examples runnable.",
                   "Docs for {slug} updated: README section and docs/usage.md; examples run."),
    "scout": ("Find every place in the codebase that {slug} touches and list the files with one line each.",
              "{slug} touches 7 files; list with one line each is in the log."),
    "fixer": ("Fix the failing checks on the branch for {slug}; touch nothing else.",
              "Checks for {slug} are green again: one import order fix, one flaky sleep replaced."),
}
BLOCKED = "{slug}: blocked on a missing environment variable (STRIPE_API_KEY) in {wt}; please advise."
ADW_STEPS = ("plan", "build", "test", "review", "document")
TASKS = ("add-rate-limiting", "fix-flaky-login-test", "migrate-to-pydantic-v2", "add-websocket-reconnect",
         "document-hook-events", "refactor-cost-tracking", "upgrade-fastapi", "add-csv-export", "paginate-agent-logs")
FILES = ("src/app/main.py", "src/app/routes/orders.py", "src/app/middleware/rate_limit.py", "tests/test_rate_limit.py",
         "pyproject.toml", "README.md", "src/app/models.py", "frontend/src/components/AgentList.vue",
         "src/app/websocket.py", "migrations/0009_agent_logs_index.sql", "tests/conftest.py")
COMMANDS = (("uv run pytest -q", "41 passed, 1 skipped in 3.84s"), ("uv run pytest tests/test_rate_limit.py -x", "1 failed, 6 passed"),
            ("git status --short", " M src/app/main.py\n?? tests/test_rate_limit.py"), ("git diff --stat", " 3 files changed, 88 insertions(+), 12 deletions(-)"),
            ("uv run ruff check .", "All checks passed!"), ("uv run mypy src", "Success: no issues found in 24 source files"),
            ("npm run build", "built in 2.41s"), ("git log --oneline -3", "e3b1c2a Add limiter\n9f0d1e4 Wire settings\n41aa0c7 Initial"))
TOOL_WEIGHTS = {"Bash": 30, "Read": 25, "Edit": 15, "Grep": 10, "Glob": 5, "Write": 5, "TodoWrite": 5, "Task": 3, "WebFetch": 2}
THOUGHTS = ("The failing test keys the limiter on client IP, but behind the proxy every request shares one IP. Use X-Forwarded-For.",
            "Before editing I should read the existing middleware order; the limiter must run after authentication.",
            "The plan says to keep the public API stable, so the new parameter needs a default.",
            "Two tests touch the same fixture; the flakiness is shared state, not timing.",
            "I have enough context. Next: run the focused test, then the whole suite.")
CREATE_ASKS = ("Create a {role} agent for {slug} in {repo}.", "Spin up a {role} on {slug}, please.",
               "We need a {role} for {slug}; use a fresh worktree.")
STATUS_ASKS = ("What is the status of all agents?", "How much have we spent so far?", "Is anyone blocked?")
LOG_LINES = {
    "DEBUG": ("Hook {event} received for agent {name}", "Broadcast {n} log entries to 2 WebSocket clients",
              "DB pool: {n}/10 connections in use"),
    "INFO": ("Agent {name} created with {model} in {wt}", "Agent {name} finished task {slug}",
             "WebSocket client connected from 127.0.0.1", "Cost update: agent {name} at ${cost}"),
    "WARNING": ("Anthropic API returned 429; retrying in {n}s", "Agent {name} context at {n}0%: compaction triggered",
                "Slow query ({n}00 ms) on agent_logs ORDER BY timestamp DESC"),
    "ERROR": ("Hook payload for agent {name} failed validation: missing tool_name", "Agent {name} process exited with code 1",
              "WebSocket send failed: connection closed by client"),
}
SOURCES = ("backend/main.py", "backend/modules/agent_manager.py", "backend/modules/websocket_manager.py",
           "backend/modules/hooks.py", "backend/modules/database.py", "backend/modules/cost_tracker.py")


def generate(ctx: SeedContext) -> list[Table]:
    out = {name: [] for name in ("orchestrator_agents", "agents", "prompts", "agent_logs", "system_logs", "orchestrator_chat")}
    agents = []
    sessions = 4 * ctx.scale
    span = (END - START - timedelta(days=3)) / sessions
    for n in range(sessions):  # one after another; only the last one is still live at END
        created = ctx.timestamp(START + n * span, START + (n + 1) * span) if n < sessions - 1 else ctx.after(END - timedelta(hours=40), max_seconds=36000)
        agents += _session(ctx, out, created, archived=n < sessions // 2, live=n == sessions - 1)
    for _ in range(500 * ctx.scale):
        out["system_logs"].append(_system_log(ctx, ctx.random.choice(agents)))
    usage = ("input_tokens", "output_tokens", "total_cost", "archived", "metadata", "created_at", "updated_at")
    return [
        Table("orchestrator_agents", ("id", "session_id", "system_prompt", "status", "working_dir", *usage), out["orchestrator_agents"]),
        Table("agents", ("id", "orchestrator_agent_id", "name", "model", "system_prompt", "working_dir", "git_worktree", "status",
                         "session_id", "adw_id", "adw_step", *usage), out["agents"]),
        Table("prompts", ("id", "agent_id", "task_slug", "author", "prompt_text", "summary", "timestamp", "session_id"), out["prompts"]),
        Table("agent_logs", ("id", "agent_id", "session_id", "task_slug", "adw_id", "adw_step", "entry_index", "event_category",
                             "event_type", "content", "payload", "summary", "timestamp"), out["agent_logs"]),
        Table("system_logs", ("id", "file_path", "adw_id", "adw_step", "level", "message", "summary", "metadata", "timestamp"),
              out["system_logs"]),
        Table("orchestrator_chat", ("id", "created_at", "updated_at", "orchestrator_agent_id", "sender_type", "receiver_type",
                                    "message", "summary", "agent_id", "metadata"), out["orchestrator_chat"]),
    ]


def _session(ctx: SeedContext, out: dict, created, *, archived: bool, live: bool) -> list[dict]:
    r = ctx.random
    oid, repo, model = ctx.uuid(), r.choice(REPOS), ctx.choice(("claude-opus-4-1-20250805", "claude-sonnet-4-5-20250929"), (1, 2))
    home = f"/home/{ctx.fake.user_name()}/code/{repo}"
    chat, own = [], [0, 0]  # own: the orchestrator's input and output tokens

    def say(at, sender, receiver, message, agent=None):
        meta = {}
        if sender == "orchestrator":
            meta = {"usage": {"input_tokens": r.randint(4000, 60000), "output_tokens": r.randint(80, 1200)}, "model": model}
            own[0] += meta["usage"]["input_tokens"]
            own[1] += meta["usage"]["output_tokens"]
        summary = message if len(message) < 80 else message[:77] + "..."
        chat.append((ctx.uuid(), at, at, oid, sender, receiver, message, summary, agent and agent["id"], meta))

    agents, moment = [], created + timedelta(seconds=r.randint(20, 300))
    for role in r.sample(list(ROLES), r.randint(3, 6)):
        slugs = r.sample(TASKS, r.randint(2, 3))
        if agents and r.random() < 0.4:
            say(moment - timedelta(seconds=90), "user", "orchestrator", r.choice(STATUS_ASKS))
            say(moment - timedelta(seconds=80), "orchestrator", "user", f"{len(agents)} agents so far: " + ", ".join(
                f"{a['name']} ({_price(a['model'], *a['tokens'])} USD)" for a in agents) + ".")
        say(moment, "user", "orchestrator", r.choice(CREATE_ASKS).format(role=role, slug=slugs[0], repo=repo))
        say(moment + timedelta(seconds=r.randint(3, 20)), "orchestrator", "user", f"Creating {role} for {slugs[0]} in a new worktree.")
        agent = _agent(ctx, out, oid, role, home, moment + timedelta(seconds=r.randint(20, 60)), slugs, say, live)
        agents.append(agent)
        moment += timedelta(seconds=r.randint(120, 1800))  # the next agent starts while this one works
    last = max(a["updated"] for a in agents)
    busy = [a["name"] for a in agents if a["unfinished"]]
    say(last + timedelta(seconds=5), "orchestrator", "user",
        f"Still working: {', '.join(busy)}." if busy else f"All {len(agents)} agents have reported back.")
    cost = _price(model, *own)
    status = "executing" if busy else "complete" if archived else ctx.choice(("idle", "waiting", "complete"), (3, 1, 2))
    out["orchestrator_agents"].append((oid, str(ctx.uuid()), f"You are the orchestrator for {repo}. Create, command and monitor "
                                       "Claude Code agents; never edit files yourself. Report costs when asked.",
                                       status, home, own[0], own[1], cost, archived, {"model": model, "repo": repo},
                                       created, last + timedelta(seconds=5)))
    out["orchestrator_chat"] += chat
    return agents


def _agent(ctx: SeedContext, out: dict, oid, role: str, home: str, start, slugs: list[str], say, live: bool) -> dict:
    r = ctx.random
    aid, model = ctx.uuid(), ctx.choice(list(MODELS), MODEL_WEIGHTS)
    adw, session = f"{r.getrandbits(32):08x}", str(ctx.uuid())
    agent = {"id": aid, "name": role, "adw": adw, "tokens": [0, 0], "updated": start, "model": model, "wt": f"trees/{adw}",
             "context": r.randint(6000, 14000)}  # tokens in the session so far: each response re-reads them
    moment = start
    for k, slug in enumerate(slugs):
        step = agent["step"] = ADW_STEPS[min(k + list(ROLES).index(role) // 2, len(ADW_STEPS) - 1)]
        prompt = ROLES[role][0].format(slug=slug)
        author = ctx.choice(("orchestrator_agent", "engineer"), (4, 1))
        out["prompts"].append((ctx.uuid(), aid, slug, author, prompt, f"{role}: {slug}", moment, session))
        if author == "orchestrator_agent":
            say(moment, "orchestrator", "agent", prompt, agent)
        unfinished = live and k == len(slugs) - 1 and r.random() < 0.4
        moment = _task_logs(ctx, out, agent, session, slug, step, prompt, moment, unfinished)
        if not unfinished:
            say(moment + timedelta(seconds=2), "agent", "orchestrator", agent["reply"], agent)
        agent["updated"], agent["unfinished"] = moment, unfinished
        moment += timedelta(seconds=r.randint(30, 600))
    status = "executing" if unfinished else "blocked" if agent["reply"].startswith(slug + ": blocked") else ctx.choice(
        ("complete", "idle"), (2, 1))
    out["agents"].append((aid, oid, role, model, ROLES[role][0].format(slug="the task you are given"), f"{home}/{agent['wt']}",
                          agent["wt"], status, session, adw, step, *agent["tokens"], _price(model, *agent["tokens"]),
                          status == "complete" and r.random() < 0.3, {"role": role, "max_turns": 60}, start, agent["updated"]))
    return agent


def _task_logs(ctx: SeedContext, out: dict, agent: dict, session: str, slug: str, step: str, prompt: str, moment, unfinished: bool):
    r, rows = ctx.random, []

    def log(category, kind, content, payload, summary, gap):
        nonlocal moment
        moment += timedelta(milliseconds=r.randint(*gap))
        if category == "response" and kind != "tool_result":
            payload["usage"] = {"input_tokens": agent["context"], "output_tokens": r.randint(40, 900)}
            agent["tokens"][0] += agent["context"]
            agent["tokens"][1] += payload["usage"]["output_tokens"]
        rows.append((ctx.uuid(), agent["id"], session, slug, agent["adw"], step, len(rows), category, kind, content,
                     payload, summary, moment))

    log("hook", "UserPromptSubmit", prompt, {"hook_event_name": "UserPromptSubmit", "prompt": prompt}, "Task received", (500, 2000))
    log("response", "thinking", r.choice(THOUGHTS), {}, "Planning the approach", (2000, 9000))
    turns = r.randint(8, 20) if not unfinished else r.randint(2, 6)
    for turn in range(turns):
        tool = ctx.choice(list(TOOL_WEIGHTS), list(TOOL_WEIGHTS.values()))
        tool_input, result = _tool(r, tool, slug)
        use_id = f"toolu_01{r.getrandbits(64):016x}"
        short = next(iter(tool_input.values())) if tool_input else tool
        short = short if isinstance(short, str) else tool
        log("response", "tool_use", f"{tool}: {short}", {"tool_name": tool, "tool_input": tool_input, "tool_use_id": use_id},
            f"{tool} {short[:60]}", (1500, 8000))
        log("hook", "PreToolUse", None, {"hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": tool_input}, None, (5, 60))
        if tool == "Task":
            log("hook", "SubagentStop", None, {"hook_event_name": "SubagentStop", "stop_hook_active": False}, "Subagent finished", (20000, 90000))
        failed = tool == "Bash" and "failed" in result
        log("hook", "PostToolUse", None, {"hook_event_name": "PostToolUse", "tool_name": tool, "tool_input": tool_input,
                                          "tool_response": {"success": not failed}}, None, (200, 30000 if tool == "Bash" else 900))
        log("response", "tool_result", result, {"tool_use_id": use_id, "is_error": failed}, f"{tool} {'failed' if failed else 'ok'}", (5, 40))
        agent["context"] += r.randint(3000, 9000) if tool in ("Read", "Task", "WebFetch") else r.randint(300, 2500)
        if agent["context"] > 100_000:
            log("hook", "PreCompact", None, {"hook_event_name": "PreCompact", "trigger": "auto"}, "Context compacted", (100, 500))
            agent["context"] = r.randint(15000, 25000)
        if turn % 4 == 3 and r.random() < 0.5:
            log("response", "thinking", r.choice(THOUGHTS), {}, "Re-planning", (2000, 9000))
    if not unfinished:
        agent["reply"] = text = (BLOCKED if r.random() < 0.08 else ROLES[agent["name"]][1]).format(slug=slug, wt=agent["wt"])
        log("response", "text", text, {}, text[:80], (2000, 8000))
        log("hook", "Stop", None, {"hook_event_name": "Stop", "stop_hook_active": False}, "Agent stopped", (50, 400))
    out["agent_logs"] += rows
    return moment


def _tool(r, tool: str, slug: str) -> tuple[dict, str]:
    path = r.choice(FILES)
    if tool == "Bash":
        command, output = r.choice(COMMANDS)
        return {"command": command, "description": f"Check {slug}"}, output
    if tool == "Read":
        return {"file_path": path}, f"{r.randint(20, 400)} lines read from {path}"
    if tool == "Edit":
        return {"file_path": path, "old_string": "limit = 100", "new_string": "limit = settings.rate_limit"}, f"Edited {path}"
    if tool == "Write":
        return {"file_path": path, "content": f"# {slug}\n"}, f"Wrote {path}"
    if tool == "Grep":
        return {"pattern": r.choice(("rate_limit", "def login", "BaseModel", "websocket")), "path": "src"}, f"{r.randint(1, 12)} matches"
    if tool == "Glob":
        return {"pattern": r.choice(("**/*.py", "tests/test_*.py", "src/**/*.vue"))}, f"{r.randint(3, 60)} files"
    if tool == "TodoWrite":
        return {"todos": [{"content": f"{verb} {slug}", "status": r.choice(("pending", "in_progress", "completed"))}
                          for verb in ("Plan", "Implement", "Test")]}, "Todos updated"
    if tool == "Task":
        return {"description": f"Search usages for {slug}", "subagent_type": "general-purpose"}, "Subagent found 7 call sites"
    return {"url": "https://docs.python.org/3/library/asyncio.html", "prompt": "How does asyncio.timeout work?"}, "Summary of the page"


def _system_log(ctx: SeedContext, agent: dict) -> tuple:
    r = ctx.random
    level = ctx.choice(("DEBUG", "INFO", "WARNING", "ERROR"), (35, 45, 14, 6))
    moment = agent["updated"] - timedelta(seconds=r.randint(0, 3600))
    message = r.choice(LOG_LINES[level]).format(event=r.choice(("PreToolUse", "PostToolUse", "Stop")), name=agent["name"],
                                                 n=r.randint(2, 9), model=agent["model"], wt=agent["wt"], slug=r.choice(TASKS),
                                                 cost=_price(agent["model"], *agent["tokens"]))
    tied = r.random() < 0.6
    return (ctx.uuid(), f"apps/orchestrator_3_stream/{r.choice(SOURCES)}", agent["adw"] if tied else None,
            agent["step"] if tied else None, level, message, message.split(":")[0][:60],
            {"agent_id": str(agent["id"])} if tied else {}, moment)


def _price(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    per_in, per_out = MODELS.get(model, (3, 15))
    return (Decimal(input_tokens * per_in + output_tokens * per_out) / 1_000_000).quantize(Decimal("0.0001"))
