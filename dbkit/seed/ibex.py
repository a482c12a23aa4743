"""IBEX rows (`ibex_core`): three tenants, their people, agents, tokens, directives, sessions and memories.

Memory texts come from a compositional grammar: five categories, each template with a reworded form (the
near-duplicates that were merged) and an older slot value (the facts that were superseded), most followed by a
context sentence of their category (who confirmed it, when, which ticket). Every memory an agent gets is a
new draw, without repeats, so distinct texts (and embeddings) grow with `--scale`: 1,156 of 1,170 live memories
at scale 1, 111,781 of 111,795 at scale 100, where the old bounded pool repeated 1,500 texts ~75 times each
and made the HNSW index slower than a sequential scan. The hand-written `CURATED` memories (the paraphrase
demo) are held by every org's first agent. What there is to embed grows with scale too (1,329 texts at scale
1, 130,641 at scale 100, minutes of MiniLM): `dbkit.embed` keeps the vectors in a cache on disk.
"""

from __future__ import annotations

import hashlib
import json
import math
import string
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from ._context import END, START, SeedContext, Table

__all__ = ["CONTEXTS", "CURATED", "PARAPHRASES", "TEMPLATES", "generate", "space"]

ORGS = (("Acme Robotics", "enterprise", "active"), ("Northwind Labs", "pro", "active"), ("Tinkerbox", "free", "trial"))
SIZES = {"enterprise": (10, 5), "pro": (7, 4), "free": (4, 3)}  # users, agents per org at scale 1
AGENT_KINDS = (  # name | description | tags | tools
    "Support Copilot|Answers customer tickets and drafts replies|support customer-facing|zendesk kb_search",
    "Release Captain|Coordinates deploys, freezes and rollbacks|deploy internal|github argocd",
    "Billing Assistant|Explains invoices and handles refund requests|billing customer-facing|stripe",
    "Incident Scribe|Keeps incident timelines and writes postmortems|oncall internal|pagerduty slack",
    "Research Scout|Summarises papers, docs and competitor news|research beta|web_search pdf_reader",
    "Code Reviewer|Reviews pull requests for risk and style|code internal|github sentry",
    "Onboarding Guide|Walks new hires through accounts and first tasks|hr internal|notion okta",
    "Sales Concierge|Prepares demos and answers pre-sales questions|sales customer-facing|hubspot",
)
DIRECTIVES = (  # name | description | tag | rules (version n keeps the first n + 1)
    (
        "tone-of-voice|How agents talk to customers|support|Be friendly and plain-spoken.|Never promise delivery dates."
        "|Use the customer's name once.|Close with a concrete next step."
    ),
    (
        "deploy-safety|Guard rails for anything that touches production|deploy|Never deploy on Fridays after 15:00 UTC."
        "|Require a green canary for 30 minutes.|Post the rollback command before deploying.|Page the owner on failure."
    ),
    (
        "data-retention|What may be remembered and for how long|privacy|Do not store payment card numbers."
        "|Expire episodic memories after 180 days.|Redact emails in summaries.|Honour deletion requests within 24 hours."
    ),
    (
        "code-review|What a review must check|code|Flag missing tests.|Flag schema changes without a migration."
        "|Ask for a rollout plan on risky changes.|Keep comments actionable."
    ),
)
# Version statuses of one directive name, oldest first: never two active versions of a name.
PATTERNS = (
    "active",
    "deprecated active",
    "deprecated active draft",
    "deprecated deprecated active review",
    "draft",
    "active revoked",
    "revoked draft",
)
MODELS = ("gpt-4o-mini", "claude-3-5-sonnet", "llama-3.1-70b", "mistral-large")
TOKEN_KINDS = {  # kind: (secret prefix, names people give them)
    "pat": ("pat", ["laptop CLI", "CI pipeline", "Jupyter notebook", "local dev", "data export script"]),
    "org_token": ("org", ["production API", "analytics sync", "backup job"]),
    "service_token": ("svc", ["agent runtime"]),
    "marketplace": ("mkt", ["marketplace listing"]),
}
SESSION_STATUSES = ("initializing", "active", "suspended", "resuming", "completed", "failed", "abandoned")
SESSION_WEIGHTS = (2, 6, 2, 1, 14, 3, 2)
SOURCES, SOURCE_WEIGHTS = ("extracted", "user_provided", "inferred", "imported"), (55, 20, 15, 10)
_SLOTS = """\
who: the user|Priya|Marcus|the on-call engineer|the product manager|the finance lead|the design lead|the CTO|Kenji|Sofia\
|Amara|Lukas|Mei|Diego|Fatima|Oliver|Ingrid|Rahul|Chloe|Tomasz|Aisha|Noah|Yuki|Gabriel|Hana|Mateo|Zara|Elif|Samuel|Nadia\
|the support lead|the security officer|the head of sales|the data team lead|the QA lead|the account manager\
|the release manager|the VP of engineering|the legal counsel|the office manager
length: concise|detailed|step-by-step|bullet-point|short|thorough|plain-language|example-driven
lead: code|a one-line summary|the recommendation|a diagram|the numbers|an example|the risks|the decision needed
env: staging|production|the canary cluster|the EU region|QA|the sandbox|the US region|the preview environment\
|the load-test cluster|the APAC region
weekday: Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday
time: 07:00|07:30|08:00|08:30|09:00|09:30|10:00|10:30|11:00|11:30|12:00|12:30|13:00|13:30|14:00|14:30|15:00|15:30\
|16:00|16:30|17:00|17:30|18:00|18:30
service: billing|search|auth|notifications|checkout|ingestion|reporting|mobile API|webhooks|recommendations\
|payments gateway|user profile|inventory|shipping|analytics|email delivery|file storage|chat|feature flag|audit log\
|pricing|onboarding|admin console|export|import|scheduler|identity|geo lookup|fraud detection|invoicing
infra: Kubernetes|ECS Fargate|a pair of VMs|AWS Lambda|Cloud Run|Nomad|bare-metal servers|Azure Container Apps\
|Fly.io machines|a managed Heroku app
region: us-east-1|eu-west-1|eu-central-1|ap-southeast-2|us-west-2|eu-north-1|ap-northeast-1|sa-east-1|ca-central-1\
|us-east-2
team: platform|payments|growth|data|mobile|support|security|infrastructure|search|billing|identity|frontend|SRE\
|analytics|partnerships|developer experience
plan: Starter|Team|Business|Enterprise|annual|monthly|nonprofit|education
nth: 1st|2nd|3rd|5th|7th|10th|12th|15th|20th|25th|28th
rpm: 30|60|100|120|300|500|600|1,000|2,000|5,000|10,000|20,000
truth: Terraform/infrastructure state|PagerDuty/on-call schedules|Jira/sprint tickets|Linear/sprint tickets\
|Figma/design specs|Confluence/runbooks|Notion/runbooks|LaunchDarkly/feature flags|Datadog/error budgets\
|Google Docs/incident timelines|GitHub/code owners|Backstage/service ownership|Okta/access groups|Salesforce/customer contracts\
|Looker/revenue numbers|Sentry/error triage|Statuspage/public incident updates|Snowflake/product analytics\
|HubSpot/marketing campaigns|Zendesk/support macros
pgver: 13|14|15|16|17|18
days: 7|14|21|30|35|45|60|90|180|365
ui: dark mode|compact tables|large fonts|a collapsed sidebar|keyboard shortcuts|high-contrast colours|a light theme\
|reduced motion|24-hour clocks|a wide layout|tooltips turned off|a minimal home page
language: Python|TypeScript|Go|Rust|Kotlin|SQL|Java|Swift|Ruby|C#|Elixir|Scala
channel: Slack|Microsoft Teams|SMS|a phone call|WhatsApp|Signal|Discord|a video call
notes: a bulleted list of decisions|a short paragraph|a table of owners and due dates|action items only\
|a summary with links|numbered next steps|a one-page memo|decisions first, then open questions
datefmt: ISO 8601|day month year|month day, year|DD.MM.YYYY|YYYY-MM-DD with the weekday
currency: euros|US dollars|British pounds|Japanese yen|Swiss francs|Canadian dollars|Australian dollars|Indian rupees
severity: SEV3|SEV4|low-priority|non-customer-facing|informational|staging-only
trigger: a deploy fails|a customer asks for a refund|the user pastes a stack trace|a test turns flaky\
|a question is about invoices|an alert fires at night|someone asks for production data\
|a pull request touches the database schema|a customer mentions a competitor|a login fails three times\
|a migration runs longer than expected|the error budget drops below 20%|a contract renewal is due\
|someone requests admin access|the build cache is cold|a webhook keeps retrying
action: open a ticket before doing anything else|ask which environment is affected|summarise the error in one sentence\
|link the relevant runbook|loop in the owning team|suggest a rollback plan|attach the last five log lines\
|check the status page first|confirm the account ID|propose a workaround and a fix|write down the timeline\
|ask for the exact error message
habit: reviews the diff twice|asks for a written summary|checks the dashboards|runs the tests locally\
|reads the changelog|pings the owning team|drafts a rollback plan|reads the customer's history|sleeps on it\
|asks a second reviewer|checks the cost estimate|reads the runbook
activity: merging a pull request|a release|the weekly sync|signing off a budget|a customer call|an incident review\
|a quarterly planning session|a security review|a hiring debrief|a design critique|a sprint demo|an architecture review\
|a vendor negotiation|a board update
topic: cost|latency|security|test coverage|the rollout plan|data retention|accessibility|error rates|licensing\
|vendor lock-in|on-call load|migration risk|pricing impact|customer churn
forbidden: restart production services|change a customer's billing plan|delete customer data|merge to main\
|rotate API keys|email customers directly|disable alerts|drop database tables|grant admin rights|issue refunds\
|change DNS records|publish release notes
badhabit: repeat the question back|skip the actual error message|hedge without a recommendation\
|include long disclaimers|ignore the previous answer|use unexplained acronyms|bury the answer at the end\
|paste whole log files|apologise repeatedly|change the subject
minutes: 12|15|25|33|40|47|55|70|90|130|150|240
cause: an expired TLS certificate|a bad feature flag|a full disk|a runaway cron job|a misconfigured load balancer\
|a database failover|a DNS change|a leaked connection pool|a third-party API outage|a bad config push|a memory leak\
|an exhausted rate limit|a clock skew|a schema migration lock
project: the onboarding revamp|SSO support|usage-based pricing|the mobile offline mode|the audit log export\
|the new search ranking|SOC 2 evidence collection|the data warehouse move|multi-region failover|the partner API\
|GDPR data export|the billing rewrite|dark mode|the self-serve trial|the notification centre|role-based access\
|the status page|the CLI v2|webhook retries|the usage dashboard
bug: memory leak|race condition|timezone bug|slow N+1 query|deadlock|cache stampede|fencepost error|character-encoding bug\
|retry storm|stale cache|null pointer crash|rounding error
customer: Globex|Initech|Umbrella Health|Stark Logistics|Wayne Retail|Hooli|Soylent Foods|Acme Travel|Cyberdyne Labs\
|Tyrell Bio|Massive Dynamic|Wonka Industries|Oscorp Energy|Gringotts Bank|Pied Piper|Vandelay Imports|Dunder Supplies\
|Monarch Media|Sterling Cooper|Prestige Worldwide|Bluth Homes|Nakatomi Trading|Virtucon|Gekko Capital|Los Pollos Foods
symptom: slow page loads|duplicate emails|missing invoices|failed logins|stale search results|timeouts on export\
|broken images|wrong currency symbols|empty dashboards|lost webhooks|double charges|slow CSV imports|expired sessions\
|garbled PDFs
lesson: alerts need clearer owners|the rollback took too long|staging data was too small to catch it\
|the runbook was out of date|nobody watched the error budget|the canary ran too briefly|the pager went to the wrong team\
|the status page lagged behind|feature flags need expiry dates|load tests must include the cache|backups were never restored in a drill\
|the dependency was not pinned
vault: Vault|AWS Secrets Manager|1Password|GCP Secret Manager|Azure Key Vault|Doppler
role: backend engineer|designer|support agent|data analyst|sales engineer|product manager|SRE|frontend engineer\
|security engineer|technical writer|account executive|QA engineer
app: GitHub|Linear|Jira|Figma|Notion|Google Workspace|Okta|Slack|Datadog|PagerDuty|Sentry|1Password
amount: 100 euros|500 US dollars|1,000 US dollars|250 British pounds|2,000 euros|50 US dollars|750 Swiss francs\
|5,000 US dollars|300 Canadian dollars|10,000 yen
billingtool: Stripe|Chargebee|the admin console|Recurly|Paddle
users: 50|100|200|500|1,000|2,000|5,000|10,000
sev: 1|2|3|4
pager: PagerDuty|incident.io|Opsgenie|FireHydrant|Rootly|Squadcast
slack: #deploys|#releases|#eng-announce|#ops|#incidents|#platform|#payments-eng|#launch-room|#change-log|#sre
count: 2|3|4|5|6|8|10|12|15|20|25|30|40|50
ticket: OPS|INC|SUP|ENG|SEC|DATA|BILL|PLAT"""
S = {
    name: [tuple(v.split("/")) if "/" in v else v for v in values.split("|")]
    for name, values in (line.split(": ", 1) for line in _SLOTS.splitlines())
}
# Slots too long to list: every day of the seed's span, and ticket numbers (8 queues x 1,286 numbers).
S["date"] = [f"{d:%B} {d.day}" for d in (START + timedelta(days=n) for n in range((END - START).days + 1))]
S["ticket"] = [f"{queue}-{number}" for queue in S["ticket"] for number in range(1000, 10000, 7)]
# category tags: a memory template, then (indented) the same facts reworded.
_TEMPLATES = """\
factual deploy: Deploys to {env} happen every {weekday} at {time} UTC.
    Every {weekday} at {time} UTC is the deploy window for {env}.
factual infra: The {service} service runs on {infra} in {region}.
    {infra} in {region} hosts the {service} service.
factual oncall: The {team} team owns the {service} service and its on-call rotation.
    On-call for the {service} service belongs to the {team} team.
factual billing: Invoices for {plan} customers are issued on the {nth} of each month.
    {plan} customers get billed on the {nth} of every month.
factual api: The {service} API allows {rpm} requests per minute per token.
    Each token may call the {service} API {rpm} times a minute.
factual docs: {truth[0]} is the source of truth for {truth[1]}.
    For {truth[1]}, the team relies on {truth[0]} as the single source of truth.
factual database: The {service} database runs PostgreSQL {pgver} with {days}-day backup retention.
    Backups of the {service} database (PostgreSQL {pgver}) are kept for {days} days.
preference style: {who} prefers {length} answers with {lead} first.
    When answering {who}, be {length} and lead with {lead}.
preference ui: {who} likes the dashboard with {ui}.
    {who} asked for {ui} in the dashboard.
preference code: {who} wants code samples in {language}.
    Code examples for {who} should be written in {language}.
preference communication: {who} prefers to be contacted on {channel} rather than by email.
    Reach {who} on {channel}, not by email.
preference meetings: {who} likes meeting notes as {notes}.
    Meeting notes for {who} should be {notes}.
preference formatting: {who} wants dates written as {datefmt} and amounts in {currency}.
    Write dates as {datefmt} and money in {currency} for {who}.
preference oncall: {who} does not want to be paged for {severity} incidents outside working hours.
    Outside working hours, do not page {who} for {severity} incidents.
behavioral support: When {trigger}, the agent should {action}.
    The agent's rule: if {trigger}, {action}.
behavioral review: {who} usually {habit} before {activity}.
    Before {activity}, {who} typically {habit}.
behavioral questions: {who} tends to ask follow-up questions about {topic} after {activity}.
    After {activity}, expect {who} to ask about {topic}.
behavioral safety: The agent must never {forbidden} without explicit approval from {who}.
    Without approval from {who}, the agent may not {forbidden}.
behavioral tone: {who} gets frustrated when answers {badhabit}.
    Answers that {badhabit} annoy {who}.
behavioral escalation: Escalate to the {team} team when {trigger}.
    If {trigger}, hand it over to the {team} team.
behavioral notifications: {who} ignores messages sent after {time} and reads them the next morning.
    Messages to {who} after {time} wait until the next morning.
episodic incident: On {date}, the {service} service had a {minutes}-minute outage caused by {cause}.
    {cause} took the {service} service down for {minutes} minutes on {date}.
episodic decision: On {date}, {who} approved moving the {service} service to {infra}.
    {who} signed off on migrating {service} to {infra} on {date}.
episodic planning: In the sync on {date}, {who} asked to prioritise {project}.
    {who} made {project} the top priority at the {date} sync.
episodic debugging: On {date}, the agent helped {who} track down a {bug} in the {service} service.
    The agent and {who} found a {bug} in {service} on {date}.
episodic sales: {who} demoed {project} to {customer} on {date}.
    On {date}, {customer} saw a demo of {project} from {who}.
episodic customer: On {date}, {customer} reported {symptom} in the {service} service.
    {customer} complained about {symptom} in {service} on {date}.
episodic retro: The retrospective on {date} concluded that {lesson}.
    Takeaway from the {date} retro: {lesson}.
procedural deploy: To deploy {service} to {env}, run the pipeline, wait for health checks, then post in {slack}.
    Deploying {service} to {env}: pipeline first, then health checks, then a note in {slack}.
procedural security: To rotate the {service} API key, create a new key in {vault}, then restart the pods.
    Rotating {service} credentials: new key in {vault}, restart the pods, revoke the old key.
procedural onboarding: To onboard a new {role}, create their {app} account and add them to the {team} group.
    New {role} onboarding: their {app} account first, then membership of the {team} group.
procedural billing: Refunds above {amount} need approval from {who} before they are issued in {billingtool}.
    {who} must approve any refund over {amount} before it goes out through {billingtool}.
procedural testing: To reproduce the {bug} in {service}, run a load test with {users} concurrent users on {env}.
    Reproducing the {service} {bug} takes a load test of {users} concurrent users on {env}.
procedural database: To restore the {service} database, restore the latest {region} snapshot, then switch DNS.
    Restoring {service}: latest {region} snapshot to a new instance, then repoint DNS.
procedural incident: Severity {sev} incidents are declared in {pager} and page the {team} on-call in 5 minutes.
    A sev-{sev} incident: declare it in {pager}, page the {team} on-call within 5 minutes."""
TEMPLATES = [
    (head, text, alt.strip())
    for head, text, alt in (line.split(": ", 1) + [nxt] for line, nxt in zip(*[iter(_TEMPLATES.splitlines())] * 2))
]
# Per category, a second sentence a memory may carry: where it came from, who confirmed it, how often it was
# seen. Composed with the templates above, they make the grammar's space (`space()`) run into the billions.
_CONTEXTS = """\
factual: Confirmed by {who} on {date}.
factual: Last verified on {date} by the {team} team.
factual: It is written down in {truth[0]}.
factual: It has been this way since {date}.
factual: See ticket {ticket}.
preference: Mentioned during {activity} on {date}.
preference: Said over {channel} on {date}.
preference: Repeated in {count} conversations so far.
preference: Confirmed again on {date}.
behavioral: Seen in {count} conversations since {date}.
behavioral: Noted by the {team} team after {activity}.
behavioral: Flagged by {who} in ticket {ticket}.
episodic: Follow-up owner: {who}.
episodic: Tracked in ticket {ticket}.
episodic: It came up again at the {weekday} sync.
episodic: The {team} team reviewed the impact on {date}.
procedural: Documented by {who} on {date}.
procedural: Last run on {date}; it took {minutes} minutes.
procedural: The {team} team owns this runbook.
procedural: Tracked in ticket {ticket}."""
CONTEXTS: dict[str, list[str]] = {}
for _category, _sentence in (line.split(": ", 1) for line in _CONTEXTS.splitlines()):
    CONTEXTS.setdefault(_category, []).append(_sentence)
PLAIN = 0.4  # the share of memories that are one sentence, without a context sentence
# category tags: a hand-written memory that every org's first agent holds, then (indented) a question worded
# differently that should find it: the paraphrase demo and test.
_CURATED = """\
preference style: The user prefers concise answers with code first.
factual deploy: Deploys to staging happen every Tuesday at 14:00 UTC.
preference ui accessibility: The user is red-green colourblind, so charts should use blue and orange, not red and green.
    Which colours should graphs avoid because of the user's vision?
factual compliance: Personal data of EU customers must stay in the Frankfurt region because of GDPR.
    Where are we required to keep personal information of European users?
procedural expenses: Travel expenses over 500 euros need sign-off from Elena Park before booking.
    Who has to approve a costly business trip?
episodic customer sales: Initech signed their contract renewal on June 30 after we agreed a 15% discount.
    When did Initech renew their agreement, and what price concession did they get?
behavioral tone: The user gets annoyed by emoji and exclamation marks in replies.
    Don't use smiley faces or excited punctuation when writing to this person."""
CURATED = [tuple(line.split(": ", 1)) for line in _CURATED.splitlines() if not line.startswith(" ")]
PARAPHRASES: list[tuple[str, str]] = [  # (an active memory's content, a query that shares few of its words)
    (line.split(": ", 1)[1], query.strip())
    for line, query in zip(_CURATED.splitlines(), _CURATED.splitlines()[1:])
    if query.startswith(" ")
]
TABLES = (
    "organizations",
    "users",
    "agents",
    "tokens",
    "directives",
    "sessions",
    "checkpoints",
    "memories",
    "memory_versions",
    "memory_relationships",
    "memory_tags",
)  # parents first: the order they are loaded in


class _Visit(NamedTuple):
    """A session as its agent's memories see it: a memory is created between `started` and `last_seen`."""

    id: uuid.UUID | None  # None: a memory from outside any session
    last_seen: datetime
    started: datetime


def generate(ctx: SeedContext) -> list[Table]:
    """Every ibex_core table, parents first; memories carry MiniLM embeddings of their content."""
    t = {name: Table(name) for name in TABLES}
    plan: list[tuple[Any, Any, list[_Visit], datetime, int, bool]] = []
    for o, (org_name, tier, status) in enumerate(ORGS):
        org, born = ctx.uuid(), ctx.timestamp(START, START + timedelta(days=20))
        slug = org_name.lower().replace(" ", "-")
        settings = {"timezone": "UTC", "memory_ttl_days": 365, "sso": tier == "enterprise", "region": ctx.choice(S["region"])}
        changed = born + timedelta(days=30)
        t["organizations"].add(
            id=org,
            name=org_name,
            slug=slug,
            tier=tier,
            status=status,
            settings=settings,
            created_at=born,
            updated_at=changed,
            deleted_at=None,
        )
        users = _users(ctx, t, org, slug, born, SIZES[tier][0] * ctx.scale)
        directives = _directives(ctx, t, org, born)
        for a in range(SIZES[tier][1] * ctx.scale):
            name, description, tags, tools = AGENT_KINDS[(a + 3 * o) % len(AGENT_KINDS)].split("|")
            name += f" {a // len(AGENT_KINDS) + 1}" if a >= len(AGENT_KINDS) else ""
            agent, created = ctx.uuid(), ctx.timestamp(born, born + timedelta(days=60))
            sessions = _sessions(ctx, t, org, agent, users, directives, created)
            plan.append((org, agent, sessions, created, ctx.random.randint(85, 115), a == 0))
            config = {
                "model": ctx.choice(MODELS),
                "temperature": ctx.choice([0.0, 0.2, 0.7]),
                "tools": tools.split(),
                "max_tokens": ctx.choice([1024, 4096]),
                "memory": {"top_k": ctx.choice([5, 8, 12]), "min_confidence": 0.6},
            }
            state = "active" if a == 0 else ctx.choice(["active", "paused", "suspended", "archived"], [80, 10, 5, 5])
            labels = tags.split() + ([ctx.choice(["beta", "eu-only", "pilot"])] if ctx.random.random() < 0.3 else [])
            t["agents"].add(
                id=agent,
                org_id=org,
                created_by=ctx.choice(users)["id"],
                name=name,
                slug=name.lower().replace(" ", "-"),
                description=description,
                config=config,
                status=state,
                tags=labels,
                total_sessions=len(sessions),
                total_memories=0,  # counted once the memories exist, below
                last_active_at=max(s.last_seen for s in sessions),
                metadata={"owner_team": ctx.choice(S["team"])},
                created_at=created,
                updated_at=created,
                deleted_at=None,
            )
    drawn = _Grammar(ctx).draw(sum(k for *_, k, _ in plan))
    ctx.random.shuffle(drawn)  # the draw cycles through the templates; each agent gets a mix
    curated = [
        {"category": h.split()[0], "tags": h.split()[1:], "text": x, "alt": None, "older": None, "curated": True}
        for h, x in CURATED
    ]
    memories, walked = [], 0
    for org, agent, sessions, created, k, first in plan:
        memories.append((org, agent, sessions, created, [*(curated if first else []), *drawn[walked : walked + k]]))
        walked += k
    live = _memories(ctx, t, memories)
    for row in t["agents"].rows:
        row["total_memories"] = live.get(row["id"], 0)
    _tokens(ctx, t)
    return list(t.values())


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _dec(x: float, places: int = 3) -> Decimal:
    return Decimal(f"{min(max(x, 0.0), 1.0):.{places}f}")


def _render(text: str, values: dict) -> str:
    out = text.format(**values)
    return out[0].upper() + out[1:]


def _slots(template: str) -> list[str]:
    return list(dict.fromkeys(name.split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name))


def space() -> int:
    """How many distinct memory texts the grammar can write (templates x slot values x context sentences)."""
    total = 0
    for head, text, _ in TEMPLATES:
        tails = sum(math.prod(len(S[n]) for n in _slots(c)) for c in CONTEXTS[head.split()[0]])
        total += math.prod(len(S[n]) for n in _slots(text)) * (1 + tails)
    return total


class _Grammar:
    """Memory families drawn without repeats, so distinct texts grow with `--scale` (`space()` bounds them).

    A family is a template with its slots filled, and, but for a share of `PLAIN`, a context sentence of its
    category with slots of its own; with the same facts reworded (`alt`, from the template's second form)
    and an older value of one slot (`older`, a fact it superseded). Draws cycle through the templates, so
    every category keeps its share at any scale; a draw that repeats one already made is drawn again.
    """

    def __init__(self, ctx: SeedContext) -> None:
        self.ctx = ctx
        self.used: set[tuple] = set()
        self.seen: set[str] = {text for _, text in CURATED}  # never a curated memory's text by chance
        self.slots = [_slots(text) for _, text, _ in TEMPLATES]
        self.contexts = {category: [(c, _slots(c)) for c in sentences] for category, sentences in CONTEXTS.items()}

    def draw(self, count: int) -> list[dict]:
        return [self._family(n % len(TEMPLATES)) for n in range(count)]

    def _pick(self, names: list[str]) -> tuple[int, ...]:
        return tuple(self.ctx.random.randrange(len(S[name])) for name in names)

    def _family(self, number: int) -> dict:
        head, text, alt = TEMPLATES[number]
        category, names = head.split()[0], self.slots[number]
        for attempt in range(50):  # a template's space runs out only far beyond --scale 100
            core, tail = self._pick(names), ""
            extra: tuple | None = None
            if attempt >= 10 or self.ctx.random.random() >= PLAIN:  # plain sentences run out first: stop trying them
                which = self.ctx.random.randrange(len(self.contexts[category]))
                sentence, context_names = self.contexts[category][which]
                extra = (which, self._pick(context_names))
                tail = " " + _render(sentence, {n: S[n][i] for n, i in zip(context_names, extra[1], strict=True)})
            values = {name: S[name][i] for name, i in zip(names, core, strict=True)}
            rendered = _render(text, values) + tail
            if (number, core, extra) not in self.used and rendered not in self.seen:
                break
        self.used.add((number, core, extra))
        self.seen.add(rendered)
        changed = self.ctx.choice(names)
        older = _render(text, {**values, changed: self.ctx.choice([v for v in S[changed] if v != values[changed]])}) + tail
        alternative = _render(alt, values) + tail
        return {
            "category": category,
            "tags": head.split()[1:],
            "text": rendered,
            "alt": alternative,
            "older": older,
            "curated": False,
        }


def _users(ctx: SeedContext, t: dict, org, slug: str, born, count: int) -> list[dict]:
    """An owner first, then admins, members and viewers; returns their rows."""
    out: list[dict] = []
    emails: set[str] = set()
    for i in range(count):
        first, last = ctx.fake.first_name(), ctx.fake.last_name()
        email = f"{first}.{last}".lower().replace(" ", "").replace("'", "") + f"@{slug}.example"
        while email in emails:
            email = email.replace("@", f"{len(emails)}@", 1)
        emails.add(email)
        role = "owner" if i == 0 else ctx.choice(["admin", "member", "viewer"], [15, 65, 20])
        status = "active" if i == 0 else ctx.choice(["active", "invited", "suspended", "deactivated"], [75, 12, 5, 8])
        joined = ctx.timestamp(born, born + timedelta(days=90))
        login = None if status == "invited" else ctx.timestamp(joined, END)
        # a deactivated user has logged in (only invited ones have not): `login or joined` is always `login` here
        gone = ctx.timestamp(login or joined, END) if status == "deactivated" and ctx.random.random() < 0.5 else None
        prefs = {"theme": ctx.choice(["light", "dark", "system"]), "digest": ctx.choice(["daily", "weekly", "off"])}
        out.append(
            t["users"].add(
                id=ctx.uuid(),
                org_id=org,
                email=email,
                name=f"{first} {last}",
                role=role,
                status=status,
                mfa_enabled=ctx.random.random() < 0.4,
                last_login_at=login,
                preferences=prefs,
                created_at=joined,
                updated_at=gone or login or joined,
                deleted_at=gone,
            )
        )
    return out


def _directives(ctx: SeedContext, t: dict, org, born) -> list:
    """Versions of each directive, at most one active per name; returns their ids."""
    for name, description, tag, *rules in (d.split("|") for d in DIRECTIVES):
        at = ctx.timestamp(born, born + timedelta(days=30))
        for version, status in enumerate(ctx.choice(PATTERNS).split(), start=1):
            content = f"# {name} v{version}\n" + "\n".join(f"- {r}" for r in rules[: version + 1])
            at = ctx.after(at, max_seconds=86400 * 40)
            t["directives"].add(
                id=ctx.uuid(),
                org_id=org,
                name=name,
                description=description,
                content=content,
                content_hash=_sha(content),
                version_number=version,
                status=status,
                is_published=status in ("active", "deprecated"),
                tags=[tag],
                created_at=at,
                updated_at=ctx.after(at, max_seconds=86400 * 20),
                deleted_at=None,
            )
    return [d["id"] for d in t["directives"].rows if d["org_id"] == org]


def _sessions(ctx: SeedContext, t: dict, org, agent, users, directives, created) -> list[_Visit]:
    """An agent's sessions (every status appears), heartbeats, checkpoints; returns when each started and ended."""
    out = []
    for _ in range(ctx.random.randint(3, 5)):
        n = len(t["sessions"].rows)
        status = SESSION_STATUSES[n] if n < len(SESSION_STATUSES) else ctx.choice(SESSION_STATUSES, SESSION_WEIGHTS)
        started = ctx.timestamp(created, END - timedelta(days=2))
        beat = None if status == "initializing" else ctx.after(started, max_seconds=3600 * 6)
        # only an initializing session has no heartbeat: `beat or started` is `beat` wherever it is used
        done = ctx.after(beat or started, max_seconds=600) if status in ("completed", "failed", "abandoned") else None
        saved = 0 if status == "initializing" else ctx.random.randint(1, 5)
        turns, session = saved * ctx.random.randint(2, 8), ctx.uuid()
        for seq in range(1, saved + 1):
            state = {
                "turn": seq * turns // saved,
                "goal": ctx.choice(S["project"]),
                "tool_calls": ctx.random.randint(0, 9),
                "context_tokens": ctx.random.randint(800, 24000),
                "scratchpad": ctx.fake.sentence(nb_words=10),
                "pending": [ctx.choice(S["action"])] if seq == saved and status != "completed" else [],
            }
            blob = json.dumps(state, sort_keys=True, separators=(",", ":"))  # what state_hash is the digest of
            t["checkpoints"].add(
                id=ctx.uuid(),
                session_id=session,
                org_id=org,
                sequence_number=seq,
                state=state,
                state_hash=_sha(blob),
                state_size_bytes=len(blob.encode()),
                is_valid=not (status == "failed" and seq == saved),
                created_at=started + ((beat or started) - started) * seq / saved,
            )
        t["sessions"].add(
            id=session,
            org_id=org,
            agent_id=agent,
            user_id=ctx.choice(users)["id"] if ctx.random.random() < 0.8 else None,
            directive_id=ctx.choice(directives) if ctx.random.random() < 0.7 else None,
            status=status,
            started_at=started,
            last_heartbeat_at=beat,
            completed_at=done,
            checkpoint_sequence=saved,
            total_turns=turns,
            total_tokens_used=turns * ctx.random.randint(400, 2500),
            loop_suspected=status == "failed" and ctx.random.random() < 0.5,
            metadata={"client": ctx.choice(["web", "slack", "api", "cli"]), "locale": ctx.choice(["en-US", "en-GB", "de-DE"])},
        )
        out.append(_Visit(session, done or beat or started, started))
    return out


def _tokens(ctx: SeedContext, t: dict) -> None:
    """Personal tokens of active users, a service token per agent, org tokens, a marketplace token for enterprise."""
    owners = [
        (u["org_id"], u["id"], None, "pat")
        for u in t["users"].rows  # (org, user, agent, token type)
        if u["status"] in ("active", "suspended") and ctx.random.random() < 0.6
    ]
    owners += [(a["org_id"], None, a["id"], "service_token") for a in t["agents"].rows]
    for org, tier in ((o["id"], o["tier"]) for o in t["organizations"].rows):
        owners += [(org, None, None, "org_token")] * (1 if tier == "free" else 2)
        owners += [(org, None, None, "marketplace")] * (tier == "enterprise")
    for org, user, agent, kind in owners:
        prefix, names = TOKEN_KINDS[kind]
        secret = f"ibx_{prefix}_{ctx.random.getrandbits(160):040x}"  # shown once; only its sha256 is stored
        created, revoked = ctx.timestamp(START, END - timedelta(days=30)), ctx.random.random() < 0.15
        expires = None if ctx.random.random() < 0.4 else created + timedelta(days=ctx.choice([30, 90, 365]))
        # bits: 1/2 memories read/write, 4/8 sessions read/write, 16 agents, 32 directives, 64 tokens, 128 billing
        perms = {
            "pat": sum(ctx.random.sample([1, 2, 4, 8, 16, 32, 64, 128], 3)),
            "service_token": 15,
            "org_token": 255,
            "marketplace": 5,
        }[kind]
        used = ctx.timestamp(created, END) if ctx.random.random() < 0.85 else None
        t["tokens"].add(
            id=ctx.uuid(),
            org_id=org,
            user_id=user,
            agent_id=agent,
            type=kind,
            hash=_sha(secret),
            prefix=secret[:12],
            name=ctx.choice(names),
            permissions=perms,
            expires_at=expires,
            is_revoked=revoked,
            revoked_at=ctx.timestamp(created, END) if revoked else None,
            last_used_at=used,
            use_count=ctx.random.randint(1, 50000) if used else 0,
            created_at=created,
            updated_at=used or created,
        )


def _memories(ctx: SeedContext, t: dict, plan: list) -> dict:
    """Memories and their history (supersessions, merges, archived duplicates); returns live memories per agent."""
    memories, links = t["memories"], set()
    versions: dict[Any, int] = {}
    live: dict[Any, int] = {}

    def version(mid, org, op, at, reason, new=None, prev=None):
        versions[mid] = versions.get(mid, 0) + 1
        t["memory_versions"].add(
            id=ctx.uuid(),
            memory_id=mid,
            org_id=org,
            version_num=versions[mid],
            operation=op,
            previous_content=prev,
            new_content=new,
            change_reason=reason,
            changed_at=at,
        )

    def relate(org, source, target, kind, at):
        if (source, target, kind) not in links:
            links.add((source, target, kind))
            confidence = _dec(ctx.random.uniform(0.7, 1), 2)  # drawn before the id, as it always was: same rows
            t["memory_relationships"].add(
                id=ctx.uuid(),
                org_id=org,
                source_memory_id=source,
                target_memory_id=target,
                relationship_type=kind,
                confidence=confidence,
                created_at=at,
            )

    def remember(
        org,
        agent,
        session,
        f,
        text,
        status,
        created,
        *,
        curated=False,
        deleted=None,
        superseded_by=None,
        merged_into=None,
        done=None,
    ) -> dict:
        """Add a memory with its first version and tags; returns its row (history may change it later)."""
        mid, source = ctx.uuid(), "user_provided" if curated else ctx.choice(SOURCES, SOURCE_WEIGHTS)
        hits = int(ctx.random.expovariate(1 / 12)) if status == "active" else ctx.random.randint(0, 3)
        seen = ctx.timestamp(created, END) if hits else None
        injected = ctx.timestamp(created, seen or END) if hits and ctx.random.random() < 0.7 else None  # seen is set when hits
        meta = {
            "extracted": {"extractor": "ibex-extract-v2", "turn": ctx.random.randint(1, 40)},
            "imported": {"batch": "crm-2026"},
            "user_provided": {"via": ctx.choice(["chat", "api", "dashboard"])},
            "inferred": {"evidence_count": ctx.random.randint(2, 9)},
        }[source]
        expires = created + timedelta(days=180) if f["category"] == "episodic" and ctx.random.random() < 0.3 else None
        confidence = _dec(ctx.random.uniform(0.3 if status == "pending_review" else 0.6, 0.99))
        row = memories.add(
            id=mid,
            org_id=org,
            agent_id=agent,
            session_id=session,
            content=text,
            content_hash=_sha(text),
            embedding=None,  # filled in below: all distinct texts are embedded in one batch
            category=f["category"],
            source=source,
            status=status,
            confidence=confidence,
            usefulness_score=_dec(ctx.random.betavariate(2, 2)),
            retrieval_count=hits,
            last_retrieved_at=seen,
            last_injected_at=injected,
            superseded_by=superseded_by,
            merged_into=merged_into,
            expires_at=expires,
            deleted_at=deleted,
            metadata=meta,
            created_at=created,
            updated_at=done or deleted or created,
        )
        version(mid, org, "created", created, f"{source.replace('_', ' ')} memory", new=text)
        for tag in dict.fromkeys(f["tags"] + ["needs-review"] * (status == "pending_review")):
            t["memory_tags"].add(memory_id=mid, tag=tag, org_id=org, created_at=created)
        live[agent] = live.get(agent, 0) + (deleted is None)
        return row

    for org, agent, sessions, born, families in plan:
        kept = []
        for f in families:
            roll, curated = ctx.random.random(), f["curated"]
            sid, last, start = ctx.choice(sessions) if ctx.random.random() < 0.8 else _Visit(None, END, born)
            created = ctx.timestamp(start, last)
            if not curated and roll < 0.05:
                remember(org, agent, sid, f, f["text"], "pending_review", created)
                continue
            deleted = ctx.timestamp(created, END) if not curated and roll < 0.07 else None
            row = remember(org, agent, sid, f, f["text"], "active", created, curated=curated, deleted=deleted)
            mid = row["id"]
            if deleted:
                version(mid, org, "deleted", deleted, "forgotten at the user's request")
                continue
            kept.append(mid)
            extra = ctx.random.random()
            if f["older"] and extra < 0.06:  # an older fact this one replaced
                old = remember(
                    org, agent, sid, f, f["older"], "superseded", ctx.timestamp(born, created), superseded_by=mid, done=created
                )["id"]
                version(old, org, "status_changed", created, "superseded by a newer memory")
                version(mid, org, "updated", created, "replaces an outdated memory", new=f["text"], prev=f["older"])
                relate(org, mid, old, "supersedes", created)
            elif f["alt"] and extra < 0.10:  # the same facts reworded, merged into this one
                row["updated_at"] = at = ctx.timestamp(created, END)
                dup = remember(org, agent, sid, f, f["alt"], "merged", ctx.timestamp(born, at), merged_into=mid, done=at)["id"]
                version(dup, org, "merged", at, "merged into a near-duplicate")
                version(mid, org, "merged", at, "absorbed a near-duplicate")
                relate(org, mid, dup, "merged_from", at)
            elif extra < 0.15:  # an archived copy of the same text: what the dedup query finds
                copy = remember(org, agent, sid, f, f["text"], "archived", ctx.timestamp(born, created), done=created)["id"]
                version(copy, org, "status_changed", created, "archived: duplicate of an active memory")
            elif extra < 0.25:
                row["updated_at"] = at = ctx.timestamp(created, END)
                row["confidence"] = _dec(float(row["confidence"]) + 0.05)
                version(mid, org, "confidence_updated", at, "confirmed again in conversation")
        for _ in range(len(kept) // 30):
            a, b = ctx.random.sample(kept, 2)
            kind = ctx.choice(["contradicts", "specializes", "generalizes", "derived_from"])
            relate(org, a, b, kind, ctx.timestamp(born, END))
    texts = list(dict.fromkeys(m["content"] for m in memories.rows))
    vectors = dict(zip(texts, ctx.embed(texts)))
    for row in memories.rows:
        row["embedding"] = vectors[row["content"]]
    return live
