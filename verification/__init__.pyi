# The public names of ``verification``, for type checkers and editors, and for the package itself:
# verification/__init__.py loads each of them from here on first use (lazy_loader.attach_stub), so
# this file is the one list of them.  Each is re-exported by an ``import X as X``.
from . import train as train
from .check import DerivativeCheck as DerivativeCheck
from .check import VerifyResult as VerifyResult
from .check import assert_custom_rule as assert_custom_rule
from .check import assert_derivative as assert_derivative
from .check import check_custom_rule as check_custom_rule
from .check import check_derivative as check_derivative
from .check import verify_custom_rule as verify_custom_rule
from .check import verify_derivative as verify_derivative
from .compare import Comparison as Comparison
from .compare import compare as compare
from .compare import format_comparison as format_comparison
from .rules import RULES as RULES
from .rules import SPECIAL_POINTS as SPECIAL_POINTS
from .rules import Rule as Rule
from .rules import get_rule as get_rule
from .train import use_all_cores as use_all_cores
from .verify import RuleResult as RuleResult
from .verify import check_example as check_example
from .verify import verify_rule as verify_rule
