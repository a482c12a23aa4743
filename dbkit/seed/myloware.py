"""MyloWare rows (`myloware`): video runs through the persona pipeline, their webhooks, and the knowledge base.

A run moves through stages (ideate, script, produce, edit, publish); each stage a run reached leaves
artifacts, provider webhooks (some dead-lettered) and, at the three human gates, an approval row. Knowledge
base documents are built from a few hand-written ones plus a snippet grammar whose pool of distinct chunks is
bounded, so `--scale` adds documents without adding much embedding time. `kb_embeddings` holds one 384-d
MiniLM vector per chunk, zero-padded to the seed's vector(1536) (cosine distances unchanged).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from ._context import END, START, SeedContext, Table

__all__ = ["KB_QUERIES", "generate"]

PROJECTS = {  # name: (title, seconds per video, voiceover, briefs)
    "aismr": (
        "AISMR",
        8,
        False,
        [
            "a glass apple sliced in slow motion",
            "a sponge cake made of moss",
            "a crystal soap bar being carved",
            "a lava lamp made of honey",
            "a velvet rubik's cube being cut",
        ],
    ),
    "motivational": (
        "Motivational Minute",
        30,
        True,
        [
            "morning routines of people who never quit",
            "why discipline beats motivation",
            "stoic lessons in 30 seconds",
            "the five-minute rule",
        ],
    ),
    "cozy_recipes": (
        "Cozy Recipes",
        45,
        True,
        ["a 3-ingredient autumn soup", "cinnamon rolls for a rainy Sunday", "one-pan lemon chicken", "overnight oats three ways"],
    ),
    "test_video_gen": (
        "test video generation",
        8,
        False,
        ["colour bars smoke test", "a spinning cube render check", "webhook round-trip clip"],
    ),
}
STAGES = (("ideate", "iggy"), ("script", "riley"), ("produce", "veo"), ("edit", "alex"), ("publish", "quinn"))
GATE_AFTER = {"ideate": "ideate", "script": "script", "edit": "publish"}  # stage -> the human gate that follows it
ENTRY = (("brendan", 50), ("iggy", 25), ("riley", 15), ("quinn", 10))  # persona that received the request
PROVIDERS = {"produce": "kie.ai", "edit": "shotstack", "publish": "upload-post"}
ERRORS = {  # provider: errors its deliveries (or, for openai, a failed ideate/script stage) end with
    "kie.ai": ["generation timed out after 600s", "content policy violation: prompt rejected", "upstream 502 from model host"],
    "shotstack": ["render failed: asset URL returned 403", "render queue full, retry later", "invalid timeline: clip length 0"],
    "upload-post": ["tiktok rate limit exceeded", "OAuth token expired for account", "video rejected: duration too long"],
    "telegram": ["chat not found", "message handler raised KeyError: 'run_id'", "bot was blocked by the user"],
    "openai": ["rate limit reached for gpt-4.1", "context length exceeded", "response did not match the ideas schema"],
}
SOCIALS = (  # provider, account, projects (an account is the primary one of the projects it is listed first for)
    ("tiktok", "@aismr.daily", ["aismr", "test_video_gen"]),
    ("youtube", "UC-aismr-shorts", ["aismr"]),
    ("instagram", "@aismr.loops", ["aismr"]),
    ("tiktok", "@motivational.minute", ["motivational"]),
    ("youtube", "UC-motivational-minute", ["motivational"]),
    ("instagram", "@cozy.recipes", ["cozy_recipes"]),
    ("tiktok", "@cozy.recipes.daily", ["cozy_recipes"]),
    ("youtube", "UC-mylo-sandbox", ["test_video_gen"]),
)
KB_ANCHORS = (  # path, project, persona, content: hand-written documents the similarity test looks up
    (
        "projects/aismr/veo/video-spec.md",
        "aismr",
        "veo",
        (
            "AISMR videos are exactly 8 seconds long, vertical 9:16 at "
            "1080x1920 and 30 fps. There is no music and no voiceover: only the crisp sound of the object being sliced."
        ),
    ),
    (
        "shared/policies/ai-disclosure.md",
        None,
        None,
        (
            "Every published video must be labelled as AI-generated. On "
            "TikTok switch on the AI-generated content toggle; on YouTube tick altered or synthetic content in the upload "
            "form."
        ),
    ),
    (
        "projects/cozy_recipes/riley/allergens.md",
        "cozy_recipes",
        "riley",
        (
            "Recipe scripts name every major allergen "
            "out loud, such as nuts, gluten, dairy and eggs, and suggest a substitute for each one in the closing line."
        ),
    ),
)
KB_QUERIES = [  # (document path, a question about its topic in other words)
    ("projects/aismr/veo/video-spec.md", "What duration and resolution should an AISMR clip have?"),
    ("shared/policies/ai-disclosure.md", "How do we mark synthetic videos when uploading them?"),
    ("projects/cozy_recipes/riley/allergens.md", "Which allergens must a cooking script mention?"),
]
_SLOTS = """\
object: apple|pocket watch|rubik's cube|soap bar|donut|chess piece|lightbulb|strawberry|rose|teacup
material: glass|honey|moss|velvet|obsidian|kinetic sand|jelly|marble|ice|gold leaf
avoid: faces|brand logos|text overlays|fast cuts|gore|real people
mood: soft window|golden hour|studio|moody low-key|pastel
hook: a question|a surprising number|a bold claim|a before-and-after|a sound cue
seconds: 2|3|5
cta: follow for part two|save this for later|comment their own tip|share it with a friend
words: 40|60|75|90
camera: a macro close-up|a slow dolly-in|a top-down shot|an orbiting shot|a static tripod shot
lens: 100mm macro|35mm|50mm|24mm wide
light: softbox|rim|natural window|neon
pace: slow|medium|fast
transition: hard-cut|crossfade|whip-pan|match-cut
font: Inter Bold|Montserrat|Roboto Condensed
position: lower third|centre|top safe area
platform: TikTok|YouTube Shorts|Instagram Reels
time: 08:00|12:30|17:00|19:30|21:00
tz: UTC|US Eastern|CET
count: 3|4|5|8
request: a new video idea|a script rewrite|a repost|a batch of five videos|a status update
never: publishes without the publish gate|invents project names|promises a posting time|skips the script gate
banned: real brand logos|medical claims|weapons|children|recognisable celebrities
model: veo3-fast|veo3-quality|kling-2.1|runway-gen4
cost: 0.40|1.20|2.50|0.80
chars: 28|32|36|42"""
S = {k: vs.split("|") for k, vs in (line.split(": ", 1) for line in _SLOTS.splitlines())}
SNIPPETS = {  # persona (None: every persona) -> (topic, chunk template); {title} is the project's title
    "iggy": (
        (
            "idea-rules",
            ("{title} ideas pair one everyday object with an impossible material, for example a {object} made of {material}."),
        ),
        ("avoid", "{title} ideas never rely on {avoid}; each round returns {count} options."),
        ("look", "Iggy pitches {title} ideas in {mood} lighting and names the texture of the {material} first."),
    ),
    "riley": (
        ("hooks", "{title} scripts open with {hook} in the first {seconds} seconds."),
        ("endings", "{title} scripts end by asking viewers to {cta}; narration stays under {words} words."),
    ),
    "veo": (
        ("prompts", "Video prompts for {title} ask for {camera} on a {lens} lens with {light} lighting."),
        ("models", "{title} clips render on {model}; prompts describe the {material} texture in concrete words."),
    ),
    "alex": (
        ("pacing", "Edit {title} videos at a {pace} pace with {transition} transitions."),
        ("captions", "{title} captions use {font} in the {position}, at most {chars} characters per line."),
    ),
    "quinn": (
        ("schedule", "{title} posts go out on {platform} at {time} {tz}."),
        ("hashtags", "{title} captions carry {count} hashtags and ask viewers to {cta}."),
    ),
    "brendan": (
        ("intake", "When a user asks for {request} in {title}, Brendan restates the brief in one sentence."),
        ("limits", "Brendan never {never}, and hands {title} briefs to Iggy once they are confirmed."),
    ),
    None: (
        ("brand-safety", "Brand safety for {title}: never show {banned}."),
        ("costs", "Cost guide for {title}: one clip on {model} costs about {cost} US dollars."),
    ),
}
CHUNK_BASE, CHUNK_MAX = 240, 2000  # distinct knowledge-base chunks per scale unit, and at most
# The order the tables are returned (and loaded) in: parents before children, whatever order they are filled in.
TABLES = (
    "runs",
    "artifacts",
    "webhook_events",
    "webhook_dlq",
    "orchestration_checkpoints",
    "hitl_approvals",
    "kb_documents",
    "kb_embeddings",
    "socials",
    "project_socials",
)
SIGNATURE_HEADER = {
    "kie.ai": "x-kie-signature",
    "shotstack": "x-shotstack-signature",
    "upload-post": "x-signature",
    "telegram": "x-telegram-bot-api-secret-token",
}
APPROVERS = ("tg:@mylo_ops", "tg:@ana_creates", "ana@mylo.example", "sam@mylo.example")


def generate(ctx: SeedContext) -> list[Table]:
    """Every myloware table, parents first; kb_embeddings holds padded MiniLM vectors of each chunk."""
    t = {name: Table(name) for name in TABLES}
    docs = _knowledge_base(ctx, t)
    _socials(ctx, t)
    for _ in range(80 * ctx.scale):
        _run(ctx, t, docs)
    return list(t.values())


def _sha(data: str | bytes) -> str:
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()


def _first_upper(text: str) -> str:
    """Capitalise the first letter only (`str.capitalize` would lower-case the rest, AISMR included)."""
    return text[0].upper() + text[1:]


def _knowledge_base(ctx: SeedContext, t: dict) -> dict:
    """Hand-written documents, then grammar documents (whose contents repeat once the bounded pool is used up);
    returns (doc id, path, first chunk) lists by (project, persona)."""
    from ..embed import pad_1536

    pool: list[Any] = []
    seen: set[str] = set()
    size = min(CHUNK_BASE * ctx.scale, CHUNK_MAX)
    for _ in range(20 * size):  # attempts: stops once the pool holds `size` distinct chunks
        if len(seen) >= size:
            break
        persona = ctx.choice(list(SNIPPETS))
        project = ctx.choice(list(PROJECTS) + [None] * (persona is None))
        title = PROJECTS[project][0] if project else "every project"
        topics = SNIPPETS[persona][: ctx.random.randint(1, len(SNIPPETS[persona]))]
        values = {name: ctx.choice(S[name]) for name in S}
        chunks = [_first_upper(text.format(title=title, **values)) for _, text in topics]
        if not seen.intersection(chunks):
            seen.update(chunks)
            pool.append((project, persona, topics[0][0], chunks))
    documents = [(path, project, persona, [content]) for path, project, persona, content in KB_ANCHORS]
    for n in range(150 * ctx.scale - len(KB_ANCHORS)):
        project, persona, topic, chunks = pool[n % len(pool)]
        folder = "/".join(filter(None, ["projects", project, persona])) if project else "shared"
        documents.append((f"{folder}/{topic}-{n + 1}.md", project, persona, chunks))
    texts = list(dict.fromkeys(c for *_, chunks in documents for c in chunks))
    vectors = dict(zip(texts, pad_1536(ctx.embed(texts))))
    by_topic: dict = {}
    for path, project, persona, chunks in documents:
        doc = ctx.uuid()
        t["kb_documents"].add(
            id=doc, project=project, persona=persona, path=path, content="\n\n".join(chunks), created_at=ctx.timestamp(START, END)
        )
        for chunk in chunks:
            t["kb_embeddings"].add(id=ctx.uuid(), doc_id=doc, embedding=vectors[chunk])
        by_topic.setdefault((project, persona), []).append((doc, path, chunks[0]))
    return by_topic


def _socials(ctx: SeedContext, t: dict) -> None:
    """Publishing accounts; every project links one or more, exactly one of them primary."""
    primary = set()
    for provider, account, projects in SOCIALS:
        social, created = ctx.uuid(), ctx.timestamp(START, START + timedelta(days=30))
        caption = f"{PROJECTS[projects[0]][0]}: new video every day #ai"
        vault, tags = f"vault://socials/{provider}/{account.lstrip('@')}", ["ai", "shorts", projects[0]]
        t["socials"].add(
            id=social,
            provider=provider,
            account_id=account,
            credential_ref=vault,
            default_caption=caption,
            default_tags=tags,
            privacy=ctx.choice(["public", "unlisted"], [3, 1]),
            rate_limit_window=ctx.choice([3600, 86400]),
            created_at=created,
        )
        for project in projects:
            linked = ctx.after(created, max_seconds=86400)
            t["project_socials"].add(
                id=ctx.uuid(), project=project, social_id=social, is_primary=project not in primary, created_at=linked
            )
            primary.add(project)


def _run(ctx: SeedContext, t: dict, docs: dict) -> None:
    """One run: the stages it got through, their artifacts, webhooks, approvals and its last checkpoint."""
    project = ctx.choice(list(PROJECTS))
    title, seconds, voiceover, briefs = PROJECTS[project]
    entry = ctx.choice([p for p, _ in ENTRY], [w for _, w in ENTRY])
    run_id, brief, clips = f"run_{ctx.random.getrandbits(48):012x}", ctx.choice(briefs), ctx.choice([1, 1, 2, 3])
    done = ctx.choice(range(6), [6, 10, 10, 8, 6, 60])  # stages completed
    gate = done and GATE_AFTER.get(STAGES[done - 1][0])  # the gate after the last completed stage, if any
    choices = ["running", "failed"] + (["pending"] if not done else ["awaiting_approval", "cancelled"] * bool(gate))
    status = "published" if done == 5 else ctx.choice(choices)
    source = "telegram" if entry == "brendan" else ctx.choice(["api", "scheduler"])
    payload = {
        "persona": entry,
        "project": project,
        "brief": brief,
        "source": source,
        "requested_by": ctx.choice(APPROVERS),
        "options": {
            "video_count": clips,
            "duration_s": seconds,
            "voiceover": voiceover,
            "aspect_ratio": "16:9" if project == "test_video_gen" and clips > 1 else "9:16",
        },
    }
    at = created = ctx.timestamp(START, END - timedelta(days=3))
    if source == "telegram":
        _webhook(ctx, t, "telegram", run_id, {"message": {"text": f"/new {project} {brief}"}}, at, fail=False)

    def artifact(kind, persona, provider=None, url=None, meta=None, trace=None):
        checksum = _sha(f"{run_id}/{kind}/{len(t['artifacts'].rows)}") if url and kind != "publish_receipt" else None
        t["artifacts"].add(
            id=ctx.uuid(),
            run_id=run_id,
            type=kind,
            url=url,
            provider=provider,
            checksum=checksum,
            metadata=meta or {},
            retrieval_trace=trace,
            persona=persona,
            created_at=at,
        )

    for i, (stage, persona) in enumerate(STAGES[: done + (status == "failed")]):
        at = ctx.after(at, max_seconds=1800)
        failed = i == done  # the stage a failed run died in
        if stage in ("ideate", "script") and not failed:
            hits = docs.get((project, persona), []) + docs.get((None, None), [])
            chosen = ctx.random.sample(hits, min(3, len(hits)))
            scores = sorted((round(ctx.random.uniform(0.55, 0.92), 3) for _ in chosen), reverse=True)
            results = [{"doc_id": str(d), "path": p, "score": s} for (d, p, _), s in zip(chosen, scores)]
            content = (
                {"ideas": [brief] + ctx.random.sample([b for b in briefs if b != brief], 2), "selected": 0}
                if stage == "ideate"
                else {"scenes": ctx.random.randint(3, 6), "word_count": ctx.random.randint(30, 90)}
            )
            meta = {"title": brief.capitalize(), "model": "gpt-4.1", **content}
            artifact("ideas" if stage == "ideate" else "script", persona, meta=meta)
            artifact(
                "citations",
                persona,
                meta={"citations": [{"path": p, "quote": q[:80]} for _, p, q in chosen]},
                trace={
                    "query": f"{title}: {brief}",
                    "top_k": 5,
                    "embedding_model": "text-embedding-3-small",
                    "latency_ms": ctx.random.randint(18, 140),
                    "results": results,
                },
            )
        elif stage in PROVIDERS:
            provider = PROVIDERS[stage]
            for n in range(clips if stage == "produce" else 1):
                body = {"status": "failed" if failed else "success", "index": n}
                key = _webhook(ctx, t, provider, run_id, body, at, fail=failed)
                if failed:
                    break
                platform, account = next((p, a) for p, a, projects in SOCIALS if projects[0] == project)
                url = (
                    f"https://{platform}.example/{account}/{ctx.random.getrandbits(60)}"
                    if stage == "publish"
                    else f"https://cdn.mylo.example/{run_id}/{stage}-{n}.mp4"
                )
                where = {"platform": platform, "account": account}
                meta = {
                    "task_id": key,
                    "duration_s": seconds,
                    **(where if stage == "publish" else {"model": ctx.choice(S["model"])}),
                }
                kind = {"produce": "video_clip", "edit": "edited_video", "publish": "publish_receipt"}[stage]
                artifact(kind, persona, provider, url, meta)
        if failed:
            break
        approval = GATE_AFTER.get(stage)
        if approval and not (i == done - 1 and status == "awaiting_approval"):
            rejected = i == done - 1 and status == "cancelled"
            at = ctx.after(at, max_seconds=7200)
            comments = ["wrong tone, start over"] if rejected else ["looks great", "ship it", "tighten the hook"]
            note = {
                "decision": "rejected" if rejected else "approved",
                "channel": ctx.choice(["telegram", "web"]),
                "comment": ctx.choice(comments),
            }
            serial = len(t["hitl_approvals"].rows) + 1  # the SERIAL's values, given explicitly
            t["hitl_approvals"].add(
                id=serial,
                run_id=run_id,
                gate=approval,
                approver_ip=ctx.fake.ipv4_public(),
                approver=ctx.choice(APPROVERS),
                metadata=note,
                created_at=at,
            )
        if approval:
            text = f"{title}: {stage} done, waiting at the {approval} gate"
            artifact("notification", "brendan", "telegram", meta={"text": text})
    urls = {a["type"]: a["url"] for a in t["artifacts"].rows[-12:] if a["run_id"] == run_id}
    result = {
        "published": {
            "video_url": urls.get("edited_video"),
            "post_url": urls.get("publish_receipt"),
            "cost_usd": round(clips * ctx.random.uniform(0.4, 2.5), 2),
        },
        "failed": {
            "error": {
                "stage": STAGES[min(done, 4)][0],
                "message": ctx.choice(ERRORS[PROVIDERS.get(STAGES[min(done, 4)][0], "openai")]),
            }
        },
        "cancelled": {"cancelled": {"gate": gate, "by": ctx.choice(APPROVERS)}},
    }.get(status)
    t["runs"].add(
        run_id=run_id, project=project, status=status, payload=payload, result=result, created_at=created, updated_at=at
    )
    if status != "pending":  # LangGraph's last snapshot: where the graph stopped and which node runs next
        values = {
            "project": project,
            "brief": brief,
            "persona": entry,
            "status": status,
            "completed": [s for s, _ in STAGES[:done]],
            "awaiting_gate": gate if status == "awaiting_approval" else None,
        }
        upcoming = [] if status in ("published", "failed", "cancelled") else [STAGES[min(done, 4)][1]]
        state = {"thread_id": run_id, "step": 2 * done + 1, "checkpoint_ns": "", "next": upcoming, "channel_values": values}
        t["orchestration_checkpoints"].add(run_id=run_id, state=state, updated_at=at)


def _webhook(ctx: SeedContext, t: dict, provider: str, run_id: str, body: dict, at, *, fail: bool) -> str:
    """A received webhook (unique key); failed ones, and a few others, also land in the dead-letter queue."""
    key = f"{provider.split('.', maxsplit=1)[0]}-{ctx.random.getrandbits(64):016x}"
    data = json.dumps({"run_id": run_id, **body}, sort_keys=True).encode()
    signature = ctx.choice(["valid", "invalid", "missing"], [88, 7, 5])
    headers = {"content-type": "application/json", "user-agent": f"{provider}-webhooks/1.0", "x-request-id": str(ctx.uuid())}
    if signature != "missing":
        headers[SIGNATURE_HEADER[provider]] = "sha256=" + _sha(data if signature == "valid" else data + b"x")
    received = ctx.after(at, max_seconds=120)
    t["webhook_events"].add(
        id=ctx.uuid(),
        idempotency_key=key,
        provider=provider,
        headers=headers,
        payload=data,
        signature_status=signature,
        received_at=received,
    )
    if fail or signature == "invalid" or ctx.random.random() < 0.05:
        # Retried with exponential backoff: due (in the past), scheduled after END, or given up (NULL).
        state = ctx.choice(["due", "scheduled", "exhausted"], [45, 35, 20])
        retries = 5 if state == "exhausted" else ctx.random.randint(0, 4)
        last = ctx.after(received, max_seconds=300 * 2**retries)
        backoff = timedelta(minutes=5 * 2**retries)
        due = {"due": last + backoff, "scheduled": END + backoff, "exhausted": None}[state]
        error = "signature mismatch" if signature == "invalid" else ctx.choice(ERRORS[provider])
        t["webhook_dlq"].add(
            id=ctx.uuid(),
            idempotency_key=key,
            provider=provider,
            headers=headers,
            payload=data,
            error=error,
            retry_count=retries,
            next_retry_at=due,
            last_error_at=last,
            created_at=received,
            updated_at=last,
        )
    return key
