"""Load version 1 of the rubrics: rubrics are data, the maths is code.

The text is in our own words from the seed articles (000, 001, 002). It is
frozen here: a change of items or weights is a new version, never an edit.
Item keys are fixed; imports, exports and the API address items as rubric.item.
"""

from django.db import migrations


def load_v1(apps, schema_editor):
    RubricVersion = apps.get_model("assessments", "RubricVersion")
    Rubric = apps.get_model("assessments", "Rubric")
    RubricItem = apps.get_model("assessments", "RubricItem")
    version, created = RubricVersion.objects.get_or_create(
        number=1,
        defaults={
            "is_current": True,
            "notes": "Initial rubrics from the five seed articles.",
        },
    )
    if not created:
        return
    for position, spec in enumerate(RUBRICS_V1):
        rubric = Rubric.objects.create(
            version=version,
            key=spec["key"],
            title=spec["title"],
            description=spec["description"],
            source=spec["source"],
            scale=spec["scale"],
            weight=spec["weight"],
            position=position,
        )
        for item_position, (key, title, question, low, high) in enumerate(spec["items"]):
            RubricItem.objects.create(
                rubric=rubric,
                key=key,
                title=title,
                question=question,
                guidance_low=low,
                guidance_high=high,
                position=item_position,
            )


def unload_v1(apps, schema_editor):
    apps.get_model("assessments", "RubricVersion").objects.filter(number=1).delete()


RUBRICS_V1 = [
    {
        "key": "characteristics",
        "title": "Characteristics of a good partner",
        "source": "000: six characteristics of partnerships that transcend transactions",
        "description": "Does this partner align with how we serve each client?",
        "scale": "rating",
        "weight": 1,
        "items": [
            (
                "quality",
                "Quality of product or service",
                "How good is what this partner delivers to our shared clients?",
                "Deliveries need rework or apologies to the client.",
                "Their work is consistently excellent; we put our name beside it without hesitation.",
            ),
            (
                "flexibility",
                "Flexible engagement structures",
                "How readily does the partner adapt commercial and delivery structures to the client?",
                "One rigid contract model, take it or leave it.",
                "They shape pricing, staffing and terms around each engagement.",
            ),
            (
                "trust",
                "Trust between the organisations",
                "How much do we trust this partner to act in good faith when we hand over an account?",
                "We double-check what they tell us and guard our clients from them.",
                "We hand over accounts knowing neither side will take advantage.",
            ),
            (
                "service_team",
                "Client-service team",
                "How available and capable is the partner's client-service team?",
                "Hard to reach, slow to respond, frequent turnover.",
                "A named, stable team that answers quickly and knows our clients.",
            ),
            (
                "leadership_access",
                "Access to leadership for escalation",
                "Can we reach the partner's leadership when something needs escalating?",
                "Escalations stall below management; we never meet their leaders.",
                "Their leadership picks up the phone and resolves escalations quickly.",
            ),
            (
                "client_first",
                "Serves the client, not the vendor",
                "Does the partner put the shared client's interest ahead of its own or ours?",
                "Recommendations follow their margin or their product roadmap.",
                "They put the client first even when it costs them a sale.",
            ),
        ],
    },
    {
        "key": "traits",
        "title": "Traits of a real partner",
        "source": "001: seven things it takes to be a partner",
        "description": "Does this partner behave like a partner, or like a seller?",
        "scale": "rating",
        "weight": 1,
        "items": [
            (
                "caring",
                "Caring",
                "Does the partner care enough about our problems to find out what they are?",
                "They sell what they have, whatever our problem is.",
                "They ask about our problems and check that what they deliver solves them.",
            ),
            (
                "homework",
                "Homework",
                "Does the partner prepare before talking to us about what we might need?",
                "Meetings start from zero; we are treated like a cash machine.",
                "They arrive having thought about our business and our clients.",
            ),
            (
                "attention",
                "Attention after the sale",
                "Does the partner stay attentive after the contract is signed?",
                "Attentive until signature, then handed off and forgotten.",
                "They follow execution and spot new issues and opportunities.",
            ),
            (
                "proactivity",
                "Proactivity",
                "Does the partner contact us with meaningful ideas and information unprompted?",
                "We only hear from them when they want something.",
                "They regularly bring ideas that help us before we ask.",
            ),
            (
                "honesty",
                "Honesty",
                "Does the partner own up to mistakes and show how they will put them right?",
                "Problems are hidden or blamed on others.",
                "They tell us early when things go wrong, with a plan to fix it.",
            ),
            (
                "goal_direction",
                "Goal direction",
                "Does the partner work towards our goals rather than their own quarter?",
                "Their quarter-end drives every conversation.",
                "Their plans are built around our and our clients' goals.",
            ),
            (
                "face_to_face",
                "Meeting face to face",
                "Do we meet this partner in person often enough to build a real relationship?",
                "We have never met; everything is e-mail.",
                "Regular in-person meetings that lead to deeper information sharing.",
            ),
        ],
    },
    {
        "key": "symptoms",
        "title": "Symptoms of an ailing partnership",
        "source": "002: five symptoms that a partnership is under the weather",
        "description": "How strongly does each symptom show this quarter? Symptoms can be temporary; "
        "what matters is how often they recur.",
        "scale": "intensity",
        "weight": 1,
        "items": [
            (
                "chasing_rainbows",
                "Chasing rainbows",
                "Are we answering proposal after proposal without landing joint business?",
                "Our joint proposals turn into real, won work.",
                "Years of fire-drill proposals and nothing landed together.",
            ),
            (
                "one_sided_pencil",
                "Sharpening one side of the pencil",
                "Are price concessions and mark-ups shared fairly between us?",
                "Concessions are shared in proportion to cost; no hidden mark-up.",
                "We absorb every discount or they mark us up out of the deal.",
            ),
            (
                "little_interaction",
                "Little to no interaction",
                "Have growth conversations and joint activities dried up?",
                "Regular growth conversations, training and joint plans.",
                "Offers to meet or train go unanswered; the partnership exists only on paper.",
            ),
            (
                "no_mutual_respect",
                "Mutual respect missing",
                "Is respect for time, resources and tone a two-way street?",
                "Courteous, even-tempered and reciprocal.",
                "Double standards, hostile feedback and ultimatums.",
            ),
            (
                "misrepresented_solution",
                "Our solution misrepresented",
                "Does the partner involve our experts when presenting our part of the solution?",
                "They hand the ball to our subject-matter experts at the right time.",
                "They fly solo with prospects and our value gets lost.",
            ),
        ],
    },
]


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(load_v1, unload_v1)]
