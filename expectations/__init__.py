"""Great Expectations suites for each staged extract and for the registry.

Suites are data (``suites/<name>.yaml``); importing this package does not import GX.
"""

from expectations.catalog import expectation_names, suite_names
from expectations.results import ExpectationOutcome, SuiteResult, blocking_message
from expectations.validate import validate_registry, validate_staged

__all__ = [
    "ExpectationOutcome",
    "SuiteResult",
    "blocking_message",
    "expectation_names",
    "suite_names",
    "validate_registry",
    "validate_staged",
]
