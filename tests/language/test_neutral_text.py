"""A process in its owner's own language: `title_en` is optional, and rule numbers are the source
document's own, free text, each listed once."""

from tests.language.conftest import load, problems

ENGLISH = """
id: password-reset
version: 1
title: Password reset
calendar: { timezone: America/New_York, country: US }
roles:
  agent: { title: Service desk agent }
stages:
  open:
    title: Open
    owner: agent
    rules: ["4.2.1", ITIL-INC-3, "§ 7 (2)"]
    duties:
      - id: reset
        title: Reset the password
        rule: "4.2.1"
        role: agent
        due: 4 working hours
        satisfied_by: { trigger: done }
    exits:
      - { to: closed, trigger: done, by: [agent] }
  closed: { title: Closed, end: true }
"""


def test_an_english_process_needs_no_title_en_and_numbers_its_rules_its_own_way() -> None:
    spec = load(ENGLISH)
    assert (spec.title, spec.title_en) == ("Password reset", "")
    assert spec.stage("open").rules == ("4.2.1", "ITIL-INC-3", "§ 7 (2)")
    assert spec.duty("reset").rule == "4.2.1"


def test_a_rule_listed_twice_is_located() -> None:
    text = ENGLISH.replace('rules: ["4.2.1", ITIL-INC-3, "§ 7 (2)"]', 'rules: ["4.2.1", ITIL-INC-3, "4.2.1"]')
    assert problems(text) == ["12:34: '4.2.1' is listed twice [stages.open.rules[2]]"]
