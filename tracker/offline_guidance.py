"""What the phone needs to judge a report's urgent guidance without a connection, taken from the
server's own rules (tracker.rules) so the phone and the server never disagree.

services.offline_guidance_thresholds gives the emergency signs among home measurements and the
PRO-CTCAE scores that need the care team now; this adds the IL-6 blocker signs: a temperature
at or above the CTCAE fever floor is urgent on tocilizumab or sarilumab, and an emergency sign
with breathlessness, confusion or dizziness at a moderate composite grade or more (or present,
for a yes/no item), as rules.emergency_signs judges it (domain.md §5.3).
"""

import itertools

from tracker import rules, services


def _scores_reaching(grade: int) -> dict[str, list[str]]:
    """For each set of PRO-CTCAE attributes a symptom asks (joined with ","), the scores (joined
    with ",", in the order asked) whose composite grade (rules.composite_grade) reaches grade."""
    reaching = {}
    for size in (1, 2, 3):
        for attributes in itertools.combinations(rules.PRO_CTCAE_ATTRIBUTES, size):
            reaching[",".join(attributes)] = [
                ",".join(map(str, scores))
                for scores in itertools.product(range(5), repeat=size)
                if (
                    rules.composite_grade(attributes, **dict(zip(attributes, scores, strict=True)))
                    or 0
                )
                >= grade
            ]
    return reaching


def il6_blocker_guidance() -> dict:
    """The IL-6 blocker fever signs, for the courses whose therapy is an IL-6 blocker."""
    return {
        "drug_class": rules.IL6_BLOCKER,
        # Urgent (the care team now) from this temperature on: rules' IL-6 blocker fever flag.
        "fever_at_or_above_c": rules.IL6_BLOCKER_FEVER_C,
        # An emergency with one of these symptoms: rules.emergency_signs (FEVER_ON_IL6_BLOCKER).
        "emergency_fever_at_or_above_c": rules.EMERGENCY_IL6_FEVER_C,
        "companion_terms": list(rules.EMERGENCY_IL6_COMPANION_TERMS),
        "companion_scores": _scores_reaching(rules.EMERGENCY_IL6_COMPANION_COMPOSITE),
    }


def thresholds() -> dict:
    """Everything the phone judges offline: services.offline_guidance_thresholds, plus the
    IL-6 blocker fever signs under "il6_blocker"."""
    return {**services.offline_guidance_thresholds(), "il6_blocker": il6_blocker_guidance()}


def is_il6_blocker(therapy) -> bool:
    return therapy.drug_class == rules.IL6_BLOCKER
