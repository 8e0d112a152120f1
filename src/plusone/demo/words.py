"""The demo's synthetic people and their own words.

Names are invented and common in Ontario; any likeness to a real client is
chance. The S2 intentions and goals are written the way clients say them at
intake (DESIGN.md: the journey leads with the client's own words), never as
diagnoses or treatment targets.
"""

from __future__ import annotations

GIVEN_NAMES = (
    "Amira", "Ben", "Chloé", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Isla", "Jonah",
    "Keisha", "Liam", "Maya", "Nikhil", "Olivia", "Pierre", "Quinn", "Rosa", "Sanjay", "Tara",
    "Usha", "Victor", "Wen", "Ximena", "Yusuf", "Zoë", "Aaron", "Bea", "Colm", "Dalia",
)  # fmt: skip

FAMILY_NAMES = (
    "Abbott", "Bélanger", "Chen", "Das", "Edwards", "Fortin", "Gill", "Haddad", "Ito", "Jensen",
    "Kaur", "Lavoie", "MacLeod", "Nguyen", "Okafor", "Patel", "Quesnel", "Roy", "Singh", "Tremblay",
    "Usman", "Vasquez", "Walsh", "Xu", "Yilmaz", "Zhou", "Afolabi", "Brennan", "Côté", "Dimitrov",
)  # fmt: skip

# "What I want to be different, in my words." One per client, in the first person.
S2_INTENTIONS = (
    "I want to stop bracing for the next thing to go wrong and actually be there with my kids.",
    "I'd like to feel like the person I am at work is the same person I am at home.",
    "I want to stop living on autopilot. I get through every week, but none of it feels like mine.",
    "I want to be able to disagree with my family without spending days feeling like a bad person.",
    "I want to trust that I'm allowed to rest without earning it first.",
    "I'd like to let people close again. I keep everyone at arm's length and call it being fine.",
    "I want to stop performing okay-ness. I want to actually be okay, or honestly not.",
    "I want to know what I want, not just what everyone expects of me.",
    "I want the old grief to stop running my life from the back seat.",
    "I'd like to feel at home in my own life instead of watching it from outside.",
    "I want to stop shrinking in relationships. I want to take up my own space.",
    "I want my body to stop sounding the alarm every time I'm in a meeting.",
)

# Up to three personal goals per client, rated 0-10 at check-ins.
GOAL_SETS = (
    ("Sleep through most nights", "Tell my partner when I'm hurt instead of going quiet"),
    ("Say no at work without a week of guilt", "Call my sister because I want to, not out of duty"),
    (
        "Have one evening a week that is just mine",
        "Notice what I feel before I decide what I should feel",
        "Go back to playing music",
    ),
    ("Speak up in team meetings", "Stop rehearsing conversations for hours afterwards"),
    ("Visit my father without needing two days to recover", "Let a friend help me with something"),
    ("Enjoy a weekend without checking email", "Stop apologising for things that aren't mine"),
    (
        "Go to the gym because it feels good, not to punish myself",
        "Make one new friend here",
    ),
    ("Talk about my mother without freezing", "Take the trip I keep postponing"),
    ("Ask for what I need at work", "Be less sharp with the kids after work", "Read for pleasure"),
    ("Get through a presentation without dreading it for a week", "Say yes to invitations again"),
)

SAFETY_PLAN = (
    "Warning signs: I stop answering messages and stay in bed past noon. "
    "What helps: a walk by the water, a shower, putting on music. "
    "People I can call: my sister, my friend from the running group. "
    "If I might act on it: call or text 9-8-8, or go to the nearest emergency department."
)

FLAG_ACTION_NOTE = (
    "Called the client the same day. We went through the safety plan together; "
    "no current intent. Reviewed at the next session."
)

# Phase decisions: (options discussed, proposal answered) by the phase agreed, and by the
# phase left when that matters. Option and proposal names are PlusOne's stored values.
DECISION_OPTIONS = {
    "stabilizing": (("continue",), ""),
    "plus_one": (("go_deeper", "continue", "end_good_enough"), "plus_one"),
    "deepening": (
        ("go_deeper", "continue", "pause", "end_good_enough", "refer"),
        "deepening_or_ending",
    ),
    "consolidating": (("continue", "end_good_enough"), "consolidating"),
    "ending": (("end_good_enough", "continue"), "good_enough_ending"),
}
# Back to Stabilizing from Deepening: the spike exit, with a suggested consult.
SPIKE_EXIT_OPTIONS = (("continue", "refer"), "spike_exit")

# The focus of deeper work, in the client's own words.
DEEPENING_FOCUS = (
    "Why I go quiet with the people I love, and where I learned that.",
    "The part of me that still waits for my father's approval.",
    "What the anxiety is protecting me from, instead of how to switch it off.",
    "Grief I never had room for when my mother was ill.",
)
DISCOMFORT_NOTE = (
    "We talked about how this work can stir things up for a while, and that low mood "
    "may rise before it settles. We agreed to check in on it every session."
)
SPOKEN_CONFIRMATION = "Said yes in session and wanted it written down in their words."

RUPTURE_NOTE = (
    "Went quiet after I suggested a worksheet; said at the end it felt like homework again. "
    "We agreed to talk about it first thing next session."
)
