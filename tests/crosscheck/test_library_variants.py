"""The adapters' mappings and the rules' declared library variants are the same option sets, so neither list can
drift from the other (each rule's ``SPEC.library_variants`` is what ``nadam-ref rules`` shows)."""

import pytest

from nadam_ref import rules
from nadam_ref.crosscheck import harness


def normalised(rule, variant) -> dict:
    """The option sets compared as the rule sees them: defaults filled in, numeric options included."""
    hp, spec = rules.make_hparams(rules.get(rule), **variant).describe(), rules.spec(rule)
    return {k: hp[k] for k in (*spec.options, *spec.numeric_variants)}


MAPPED = [(library, case) for library, adapter in harness.ADAPTERS.items() for case in adapter.CASES
          if case.variant is not None]


@pytest.mark.parametrize("library,case", MAPPED, ids=lambda x: getattr(x, "call", x))
def test_every_adapter_mapping_is_a_declared_library_variant(library, case):
    declared = [normalised(case.rule, v.hparams) for v in rules.spec(case.rule).library_variants
                if v.library.split()[0] == library]
    assert normalised(case.rule, case.variant) in declared


@pytest.mark.parametrize("rule", rules.RULES)
def test_every_declared_library_variant_has_an_adapter_case(rule):
    for declared in rules.spec(rule).library_variants:
        library = declared.library.split()[0]
        mapped = [normalised(rule, c.variant) for lib, c in MAPPED if lib == library and c.rule == rule]
        assert normalised(rule, declared.hparams) in mapped, declared
