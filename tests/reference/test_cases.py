"""The reference cases travel with the tests: present in a fresh clone, and missing means fail."""

import pytest

from tests.reference.cases import REFERENCE_DIR, case_file


def test_demo_portfolio_03_files_are_in_the_repository():
    # given / when / then: the copies the tests read, with their row counts (header included)
    assert sum(1 for _ in case_file("pp-demo-portfolio-03", "transactions.csv").open()) == 10
    assert sum(1 for _ in case_file("pp-demo-portfolio-03", "prices.csv").open()) == 4337
    assert (REFERENCE_DIR / "README.md").is_file()


def test_a_missing_case_file_fails_the_test_instead_of_skipping_it():
    # given a case file that is not there / when asked for / then the test fails
    with pytest.raises(pytest.fail.Exception, match="is missing"):
        case_file("pp-demo-portfolio-03", "no-such-file.csv")
