"""The source system codes the rules read (the inbox folder names of sources.md)."""

LEDGER = "civil_affairs_children"
ASSISTANCE = "civil_affairs_assistance"
POVERTY = "poverty_households"
DISABILITY = "disability_certificates"
EDUCATION = "education_students"
INSURANCE = "health_insurance"
HEALTH = "health_conditions"

ROSTERS = (ASSISTANCE, POVERTY)
