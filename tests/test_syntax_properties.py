"""Properties of the syntax layer (hypothesis).

* generated trees survive ``to_source`` → ``parse`` in both keyword languages,
  and formatting is idempotent and language-independent;
* any text either parses (and then formats and re-parses to the same tree) or
  raises :class:`~ruledsl.errors.ParseError` whose diagnostics carry spans,
  never another exception.

Example counts come from the profile loaded in ``conftest.py``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ruledsl.ast import nodes as n
from ruledsl.ast.printer import to_source
from ruledsl.ast.visitor import NodeTransformer, walk
from ruledsl.errors import ParseError
from ruledsl.syntax.parser import parse
from ruledsl.testing import strategies as sts

parse("")  # build the cached parser before any deadline is measured

relaxed = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
langs = st.sampled_from(("zh", "en"))


def in_rule(*clauses: n.Decl) -> n.Module:
    return n.Module((n.Rule("R-1", "r", clauses, span=sts.SPAN),), span=sts.SPAN)


def assert_round_trip(module: n.Module, lang: str) -> str:
    text = to_source(module, lang)
    try:
        back = parse(text)
    except ParseError as exc:  # pragma: no cover - shown on failure only
        raise AssertionError(f"printed text does not parse: {exc}\n{text}") from None
    assert back == module, text
    assert to_source(back, lang) == text
    return text


@relaxed
@given(sts.expressions(max_leaves=20), langs)
# a literal keyword after "(" and before "=" is a comparison, not a named argument
@example(n.IsNull(n.Binary("=", n.Literal(False, "bool", span=sts.SPAN),
                           n.Literal(None, "null", span=sts.SPAN), span=sts.SPAN),
                  False, span=sts.SPAN), "zh")
def test_expression_round_trip(expr: n.Expr, lang: str) -> None:
    assert_round_trip(in_rule(n.WhenClause(expr, span=sts.SPAN)), lang)


@relaxed
@given(st.lists(sts.clauses(), min_size=1, max_size=8), langs)
def test_clauses_round_trip(clauses: list[n.Decl], lang: str) -> None:
    assert_round_trip(in_rule(*clauses), lang)


@relaxed
@given(sts.modules(), langs)
def test_module_round_trip(module: n.Module, lang: str) -> None:
    assert_round_trip(module, lang)


@relaxed
@given(sts.modules())
def test_languages_agree(module: n.Module) -> None:
    zh, en = to_source(module, "zh"), to_source(module, "en")
    assert to_source(parse(en), "zh") == zh
    assert to_source(parse(zh), "en") == en


@relaxed
@given(sts.modules())
def test_identity_transform_keeps_tree(module: n.Module) -> None:
    assert NodeTransformer().visit(module) is module
    assert all(isinstance(x, n.Node) for x in walk(module))


@relaxed
@given(sts.source_text())
def test_text_parses_or_raises_parse_error(text: str) -> None:
    try:
        module = parse(text, "fuzz.rules")
    except ParseError as exc:
        assert exc.diagnostics
        for diagnostic in exc.diagnostics:
            span = diagnostic.span
            assert span is not None and span.source is not None
            assert 0 <= span.start <= span.end <= len(text) + 1
        str(exc)  # renders
        return
    for lang in ("zh", "en"):
        printed = to_source(module, lang)
        assert parse(printed) == module, printed
        assert to_source(parse(printed), lang) == printed
