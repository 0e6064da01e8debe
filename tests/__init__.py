import pytest

# Shared checks outside the test files still explain a failed assert.
pytest.register_assert_rewrite("tests.demo.agreement")
