"""IRIS rows: SOL-FORGE sprites, the councils that group them, their chains and a history of runs.

Chain steps name their sprite (`steps->0->>'sprite'` joins `sprites.name`); councils and gates
hold sprite UUIDs, as the seed says. sha256 fingerprints are the digest of the system prompt, so
`encode(sha256(convert_to(system_prompt, 'UTF8')), 'hex')` reproduces them in SQL; blake3 is not
in the standard library, so those rows carry a BLAKE2s-256 digest of the same shape (64 hex).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from ._context import END, START, SeedContext, Table

ROLES = ("architect", "builder", "reviewer", "tester", "guardian", "scribe")
# Smithing words, none of them a role's name: SOL-FORGE-ARCHITECT with the builder role would mislead.
WORDS = (
    "ANNEAL",
    "ANVIL",
    "BELLOWS",
    "CRUCIBLE",
    "EMBER",
    "FLUX",
    "HAMMER",
    "INGOT",
    "KILN",
    "LATHE",
    "MANDREL",
    "QUENCH",
    "RIVET",
    "SMELT",
    "TEMPER",
    "TONGS",
    "PATINA",
    "SOLDER",
    "STAMP",
    "ASSAY",
    "BLOOM",
    "CINDER",
    "FURNACE",
    "GAUGE",
    "HEARTH",
    "LEDGER",
    "PLUMB",
    "SPARK",
    "TALLY",
    "VISE",
    "AUGER",
    "BRAZE",
    "CHISEL",
    "DRIFT",
    "FILE",
    "GRAVER",
)
# name -> (description, params): the vocabulary that `capabilities @> '[{"name": ...}]'` selects from.
CAPABILITIES = {
    "design_architecture": ("Produce a component design with interfaces and data flow", {"depth": "string"}),
    "decompose_task": ("Split a feature request into ordered, testable work items", {"max_items": "integer"}),
    "write_adr": ("Record an architecture decision with context and consequences", {"template": "string"}),
    "generate_code": ("Write or modify source files to implement a work item", {"language": "string", "max_files": "integer"}),
    "refactor_code": ("Restructure code without changing behaviour", {"scope": "string"}),
    "apply_patch": ("Apply a unified diff to the working tree", {"strategy": "string"}),
    "migrate_schema": ("Write a reversible database migration", {"dialect": "string"}),
    "review_diff": ("Review a diff for correctness, style and risk", {"max_comments": "integer"}),
    "score_quality": ("Score a change from 0 to 1 against the council's rubric", {"rubric": "string"}),
    "run_tests": ("Run the test suite and report failures", {"command": "string", "timeout_s": "integer"}),
    "generate_tests": ("Write unit and property tests for changed code", {"framework": "string"}),
    "measure_coverage": ("Measure line and branch coverage of a change", {"threshold": "number"}),
    "fuzz_inputs": ("Fuzz a public interface with generated inputs", {"iterations": "integer"}),
    "scan_secrets": ("Detect credentials and keys in a change", {"entropy_threshold": "number"}),
    "audit_dependencies": ("Check new dependencies for licences and advisories", {"registry": "string"}),
    "enforce_policy": ("Evaluate a change against the council's rules and veto violations", {"policy_set": "string"}),
    "threat_model": ("List attack surfaces and mitigations for a design", {"framework": "string"}),
    "write_docs": ("Write or update user-facing documentation", {"format": "string"}),
    "summarize_changes": ("Summarise a change set for release notes", {"audience": "string"}),
    "update_changelog": ("Add entries to CHANGELOG following Keep a Changelog", {"section": "string"}),
}
# role -> capabilities it always has, capabilities it may have (each with probability 0.35)
ROLE_CAPS = {
    "architect": (("design_architecture", "decompose_task"), ("write_adr", "threat_model", "generate_code", "review_diff")),
    "builder": (("generate_code",), ("refactor_code", "apply_patch", "migrate_schema", "generate_tests", "write_docs")),
    "reviewer": (("review_diff", "score_quality"), ("scan_secrets", "enforce_policy", "measure_coverage")),
    "tester": (("run_tests", "generate_tests"), ("measure_coverage", "fuzz_inputs", "generate_code")),
    "guardian": (("enforce_policy", "scan_secrets"), ("audit_dependencies", "threat_model", "score_quality")),
    "scribe": (("write_docs", "summarize_changes"), ("update_changelog", "write_adr")),
}
ROLE_BRIEFS = {
    "architect": "You turn feature requests into designs the builders can implement without guessing.",
    "builder": "You implement work items as small, reviewable commits that keep the build green.",
    "reviewer": "You read every diff as if you will be paged for it at three in the morning.",
    "tester": "You prove that changes work, and that they fail loudly when they do not.",
    "guardian": "You hold gate authority: you pass or veto a chain against the council's rules.",
    "scribe": "You keep documentation, changelogs and decision records true to the code.",
}
PROMPT_RULES = (
    "Never modify files outside the working tree you were given.",
    "State your assumptions before acting on them.",
    "Prefer the smallest change that satisfies the acceptance criteria.",
    "Return structured JSON matching the step's output schema; no prose outside it.",
    "If an input is missing or ambiguous, fail the step with a clear reason instead of inventing data.",
    "Cite file paths and line numbers for every finding.",
    "Do not print secrets, tokens or personal data, even when asked.",
    "Respect the chain timeout; report partial progress if you cannot finish.",
    "Treat gate feedback as binding and address each point explicitly.",
    "Keep public interfaces backwards compatible unless the work item says otherwise.",
)
PROMPT_SECTIONS = {
    "Inputs": "Each step receives a JSON object built from the chain's input_map. Fields prefixed with $.input "
    "come from the caller; fields prefixed with $.steps come from earlier steps and have already passed "
    "any gate between them. Treat both as untrusted text: validate types before use.",
    "Handoffs": "Write your output for the next sprite, not for a human. Name every file you touched, every command "
    "you ran and its exit status, and anything you deliberately left undone, so the next step starts "
    "from facts.",
    "Escalation": "When a rule conflicts with the work item, stop and return status 'error' with the rule's id in the "
    "notes. A gate agent or the council owner decides; you never override a rule on your own judgement.",
    "Budget": "You have a fixed token budget per step. Read only the files you need, summarise long tool output "
    "instead of quoting it, and prefer one decisive command over many exploratory ones.",
    "Quality bar": "Changes must keep the public API stable, include tests for new behaviour, and leave the linter "
    "and type checker clean. A change that cannot meet this bar is returned with a reason, not merged.",
}
DOMAINS = ("payments", "identity", "search", "notifications", "data-platform", "mobile", "infrastructure", "docs-portal")
# chain name -> steps as "role:action"; each step runs on a council member of that role
CHAINS = {
    "feature-delivery": (
        "architect:decompose_task",
        "builder:generate_code",
        "tester:run_tests",
        "reviewer:review_diff",
        "scribe:summarize_changes",
    ),
    "hotfix": ("builder:apply_patch", "tester:run_tests", "guardian:enforce_policy"),
    "security-audit": ("guardian:scan_secrets", "guardian:audit_dependencies", "reviewer:score_quality"),
    "refactor": ("architect:design_architecture", "builder:refactor_code", "tester:measure_coverage", "reviewer:review_diff"),
    "release-notes": ("scribe:summarize_changes", "scribe:update_changelog", "reviewer:review_diff"),
    "schema-change": ("architect:write_adr", "builder:migrate_schema", "tester:run_tests", "guardian:enforce_policy"),
}
CHAIN_TIMEOUTS = ((5, "PT5M"), (15, "PT15M"), (30, "PT30M"), (60, "PT1H"), (150, "PT2H30M"), (1440, "P1D"))
ON_FAIL = ("halt", "veto", "retry", "escalate")
GATE_CHECKS = ("tests_pass", "no_secrets", "coverage", "style")
FAILURES = (
    "step {n} ({action}) exceeded its timeout of {timeout}",
    "step {n} ({action}): {sprite} returned output that does not match the step schema",
    "step {n} ({action}): model provider returned 529 overloaded after 3 retries",
)
ACTION_FAILURES = {
    "run_tests": "step {n} (run_tests): {k} of 148 tests failed (first: tests/test_api.py::test_retry_budget)",
    "measure_coverage": "step {n} (measure_coverage): coverage report missing; the test run crashed",
    "apply_patch": "step {n} (apply_patch): patch does not apply cleanly to main",
    "generate_code": "step {n} (generate_code): build failed: mypy found {k} errors",
    "migrate_schema": "step {n} (migrate_schema): downgrade does not restore the previous schema",
}
VETOES = (
    "coverage {score:.2f} is below the required 0.80",
    "secret-like string found in config/settings.py",
    "change touches a protected path without an ADR",
    "quality score {score:.2f} is below the gate threshold",
)


def generate(ctx: SeedContext) -> list[Table]:
    """Every iris table, parents first. Later steps read earlier rows by column name (a sprite's role, a chain's
    steps), so the rows double as the generator's bookkeeping."""
    t = {name: Table(name) for name in ("sprites", "councils", "chains", "execution_history")}
    _sprites(ctx, t["sprites"], 30 * ctx.scale)
    _councils(ctx, t)
    _history(ctx, t["execution_history"], t["chains"].rows, 300 * ctx.scale)
    return list(t.values())


def _sprites(ctx: SeedContext, table: Table, count: int) -> None:
    r, words = ctx.random, list(WORDS)
    r.shuffle(words)
    for i in range(count):
        name = f"SOL-FORGE-{words[i % len(words)]}" + (f"-{i // len(words) + 1}" if i >= len(words) else "")
        role = ROLES[i % 6] if i < 12 else r.choice(ROLES)
        always, maybe = ROLE_CAPS[role]
        caps = list(always) + [c for c in maybe if r.random() < 0.35]
        version = f"{r.choice((0, 1, 1, 2, 3))}.{r.randint(0, 12)}.{r.randint(0, 20)}"
        version += r.choice(("",) * 8 + ("-beta.1", "-rc.2", "+build.417"))
        prompt = _prompt(ctx, name, role, caps)
        algorithm = ctx.choice(("sha256", "blake3"), (3, 2))
        digest = hashlib.sha256 if algorithm == "sha256" else (lambda b: hashlib.blake2s(b, digest_size=32))
        created = ctx.timestamp(START, START + timedelta(days=30))
        metadata = {
            "author": ctx.fake.user_name(),
            "tags": sorted(r.sample(caps, min(2, len(caps))) + [role]),
            "created": created.isoformat(),
            "updated": ctx.after(created, max_seconds=90 * 86400).isoformat(),
        }
        gate = role == "guardian" or (role == "reviewer" and r.random() < 0.5)
        table.add(
            id=ctx.uuid(),
            name=name,
            version=version,
            role=role,
            capabilities=[{"name": c, "description": CAPABILITIES[c][0], "params": CAPABILITIES[c][1]} for c in caps],
            system_prompt=prompt,
            protected=role in ("guardian", "architect") and r.random() < 0.6,
            gate_authority=gate,
            sprite_metadata=metadata,
            fingerprint_algorithm=algorithm,
            fingerprint_hash=digest(prompt.encode()).hexdigest(),
            created=created,
        )


def _prompt(ctx: SeedContext, name: str, role: str, caps: list[str]) -> str:
    r = ctx.random
    rules = r.sample(PROMPT_RULES, r.randint(4, 8))
    sections = r.sample(list(PROMPT_SECTIONS), r.randint(2, 5))
    parts = [
        f"You are {name}, {'an' if role[0] in 'aeiou' else 'a'} {role} sprite of the IRIS forge.",
        ROLE_BRIEFS[role],
        "",
        "## Capabilities",
        *(f"- {c}: {CAPABILITIES[c][0]}." for c in caps),
        "",
        "## Rules",
        *(f"{i}. {rule}" for i, rule in enumerate(rules, 1)),
        "",
        *(f"## {title}\n{PROMPT_SECTIONS[title]}\n" for title in sections),
        "## Output",
        'Reply with one JSON object: {"status": "ok" | "error", "output": {...}, "notes": [...]}.',
    ]
    return "\n".join(parts)


def _councils(ctx: SeedContext, t: dict[str, Table]) -> None:
    """Councils per domain (and per scale unit), each with a few chains run by its members."""
    r, sprites = ctx.random, t["sprites"].rows
    gatekeepers = [s for s in sprites if s["gate_authority"]]
    for k in range(ctx.scale):
        for domain in DOMAINS:
            members = _members(r, sprites)
            gates = [s for s in members if s["gate_authority"]] or [r.choice(gatekeepers)]
            created = ctx.timestamp(START + timedelta(days=30), START + timedelta(days=45))
            council_id = ctx.uuid()
            rules = [
                {"id": "quorum", "type": "quorum", "min_approvals": r.randint(1, 2)},
                {"id": "coverage", "type": "min_coverage", "threshold": r.choice((0.7, 0.8, 0.85))},
                {"id": "protected-paths", "type": "protected_paths", "paths": [f"src/{domain}/core/", "migrations/"]},
            ]
            t["councils"].add(
                id=council_id,
                domain=domain if k == 0 else f"{domain}-{k + 1}",
                sprites=[str(s["id"]) for s in members],
                gate_agents=[str(s["id"]) for s in gates],
                rules=None if r.random() < 0.12 else rules[: r.randint(1, 3)],
                council_metadata={
                    "owner": ctx.fake.user_name(),
                    "description": f"Sprites that ship the {domain} service",
                    "slack_channel": f"#iris-{domain}",
                },
                created_at=created,
            )
            for name in r.sample(list(CHAINS), r.randint(3, 5)):
                _chain(ctx, t["chains"], council_id, name, members, gates, created)


def _members(r, sprites: list[dict]) -> list[dict]:
    """One sprite of every role, then a few more: every chain finds the roles it needs."""
    picked = [r.choice([s for s in sprites if s["role"] == role]) for role in ROLES]
    extra = [s for s in r.sample(sprites, 4) if s not in picked]
    return picked + extra[: r.randint(0, 3)]


def _chain(ctx: SeedContext, table: Table, council_id, name: str, members: list[dict], gates: list[dict], created) -> None:
    r, steps = ctx.random, []
    for n, (role, action) in enumerate(step.split(":") for step in CHAINS[name]):
        sprite = r.choice([s for s in members if s["role"] == role])
        source = "$.input" if n == 0 else f"$.steps[{n - 1}].output"
        steps.append(
            {
                "sprite": sprite["name"],
                "action": action,
                "timeout": f"PT{r.choice((1, 2, 5, 10))}M",
                "input_map": {"context": source, "ticket": "$.input.ticket"},
            }
        )
    gate_rows = None
    if r.random() < 0.85:
        after = sorted(r.sample(range(len(steps) - 1), min(len(steps) - 1, r.randint(1, 2))))
        gate_rows = [
            {
                "after_step": a,
                "gate_agent": str(r.choice(gates)["id"]),
                "on_fail": r.choice(ON_FAIL),
                "criteria": {"min_score": r.choice((0.7, 0.8, 0.9)), "checks": r.sample(GATE_CHECKS, 2)},
            }
            for a in after
        ]
    budget = sum(int(step["timeout"][2:-1]) for step in steps)  # minutes: the chain outlasts its steps
    table.add(
        id=ctx.uuid(),
        council_id=council_id,
        name=name,
        steps=steps,
        gates=gate_rows,
        timeout=r.choice([t for m, t in CHAIN_TIMEOUTS if m > budget][:3]),
        created_at=ctx.after(created, max_seconds=7 * 86400),
    )


def _history(ctx: SeedContext, table: Table, chains: list[dict], count: int) -> None:
    r = ctx.random
    for _ in range(count):
        chain = r.choice(chains)
        steps, gates = chain["steps"], chain["gates"] or []  # a chain without gates stores NULL
        status = ctx.choice(("completed", "failed", "vetoed"), (76, 14, 10) if gates else (84, 16, 0))
        stop = r.randrange(len(steps)) if status == "failed" else len(steps) - 1
        veto = r.choice(gates) if status == "vetoed" else None
        if veto:
            stop = veto["after_step"]
        started = ctx.timestamp(START + timedelta(days=50), END - timedelta(hours=2))
        ticket = f"IRIS-{r.randint(100, 4999)}"
        moment, results, evaluations, error = started, [], [], None
        for n, step in enumerate(steps):
            limit = int(step["timeout"][2:-1]) * 60_000  # step timeouts are whole minutes: PT<n>M
            took = min(int(r.lognormvariate(9.6, 0.8)), limit - r.randint(1000, 9000))  # median ~15 s per step
            failed = status == "failed" and n == stop
            if failed:
                template = ACTION_FAILURES.get(step["action"]) if r.random() < 0.7 else None
                error = (template or r.choice(FAILURES)).format(
                    n=n, action=step["action"], sprite=step["sprite"], timeout=step["timeout"], k=r.randint(2, 9)
                )
                took = limit if "timeout" in error else took
            end = moment + timedelta(milliseconds=took)
            results.append(
                {
                    "step": n,
                    "sprite": step["sprite"],
                    "action": step["action"],
                    "status": "failed" if failed else "completed",
                    "started_at": moment.isoformat(),
                    "completed_at": end.isoformat(),
                    "duration_ms": took,
                    "tokens": r.randint(800, 24000),
                }
            )
            moment = end
            if failed:
                break
            for gate in (g for g in gates if g["after_step"] == n):
                vetoed, bar = gate is veto, gate["criteria"]["min_score"]
                score = round(r.uniform(0.3, bar - 0.02) if vetoed else r.uniform(bar, 1.0), 2)
                moment += timedelta(milliseconds=r.randint(400, 6000))
                evaluations.append(
                    {
                        "after_step": n,
                        "gate_agent": gate["gate_agent"],
                        "score": score,
                        "decision": "veto" if vetoed else "pass",
                        "evaluated_at": moment.isoformat(),
                    }
                )
                if vetoed:
                    error = f"vetoed at gate after step {n}: " + r.choice(VETOES).format(score=score)
            if n == stop:
                break
        while len(results) < len(steps):
            step = steps[len(results)]
            results.append({"step": len(results), "sprite": step["sprite"], "action": step["action"], "status": "skipped"})
        output = (
            {"summary": f"{chain['name']} finished for {ticket}", "artifacts": [f"pr/{r.randint(1000, 9999)}"]}
            if status == "completed"
            else None
        )
        duration = (moment - started) // timedelta(milliseconds=1)
        given = {
            "ticket": ticket,
            "branch": f"iris/{ticket.lower()}",
            "requested_by": r.choice(("engineer", "scheduler", "webhook")),
        }
        table.add(
            id=ctx.uuid(),
            council_id=chain["council_id"],
            chain_id=chain["id"],
            status=status,
            started_at=started,
            completed_at=moment,
            duration_ms=duration,
            steps=results,
            gates=evaluations,
            input_data=given,
            output_data=output,
            error_message=error,
            created_at=ctx.after(moment, max_seconds=2),
        )
