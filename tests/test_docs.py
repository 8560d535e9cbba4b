"""The documentation builds cleanly, and its rule examples are checked.

The Sphinx build runs with ``-W``: a rule example on the language page that no
longer checks (``.. ruledsl-example::``), or any other warning, fails it.  The
unit tests exercise the directive's checking function directly.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

GOOD = '''
规则 YP-09 "门诊超量开药" {
    类别 药品类
    结果类型 明确违规
    环节 事前, 事中, 事后
    层级 明细
    对每条 明细 L 满足 L.收费行 且 L.药品 不为空
    当 r4(L.周期天数) > 7
    违规金额 L.金额 * (L.周期天数 - 7) / L.周期天数
}
'''

BAD = GOOD.replace("L.周期天数) > 7", "L.周期天数x) > 7")


def test_sphinx_build_is_clean(tmp_path: Path) -> None:
    """``python -m sphinx -W -b html docs <tmp>`` succeeds."""
    if importlib.util.find_spec("sphinx") is None:
        pytest.skip("sphinx is not installed")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
         str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert (tmp_path / "html" / "language.html").is_file()
    assert (tmp_path / "html" / "catalogue.html").is_file()


@pytest.fixture(scope="module")
def ext():  # type: ignore[no-untyped-def]
    """The ``ruledsl_example`` Sphinx extension module."""
    pytest.importorskip("sphinx")
    import ruledsl_example

    return ruledsl_example


def test_good_example_passes(ext) -> None:  # type: ignore[no-untyped-def]
    assert ext.check_example(GOOD) == []


def test_bad_example_yields_the_diagnostic(ext) -> None:  # type: ignore[no-untyped-def]
    problems = ext.check_example(BAD)
    assert len(problems) == 1
    assert "[E0202]" in problems[0]
    assert "周期天数x" in problems[0]
    assert 'did you mean "周期天数"' in problems[0]


def test_fails_option(ext) -> None:  # type: ignore[no-untyped-def]
    assert ext.check_example(BAD, fails="E0202") == []
    assert "should be rejected with E0202, but gives no diagnostic" in \
        ext.check_example(GOOD, fails="E0202")[0]
    assert "gives E0202" in ext.check_example(BAD, fails="E0301")[0]


def test_keyword_language(ext) -> None:  # type: ignore[no-untyped-def]
    mixed = GOOD.replace("当 r4", "when r4")
    problems = ext.check_example(mixed, lang="zh")
    assert problems == ["line 8: keyword 'when' is not in the example's language 'zh' (write '当')"]
    english = ext.english_of(GOOD)
    if english is not None:  # the printer is available
        assert ext.check_example(english, lang="en") == []
        assert ext.check_example(english, lang="zh")


def test_failing_rule_example_is_reported(ext) -> None:  # type: ignore[no-untyped-def]
    wrong = GOOD.replace("}\n", '''    示例 触发 {
        药品(med_list_codg="D9")
        明细(feedetl_sn="F1", list_type="101", med_list_codg="D9", prd_days=8, 金额=80.00)
        预期(feedetl_sn="F1", vola_amt=99.00)
    }
}
''')
    problems = ext.check_example(wrong)
    assert len(problems) == 1 and "FAILED" in problems[0]
    right = wrong.replace("vola_amt=99.00", "vola_amt=10.00")
    assert ext.check_example(right) == []


def test_rulebook_files(ext) -> None:  # type: ignore[no-untyped-def]
    files = ext.split_files('== a/rulebook.rules ==\n包含 "b.rules"\n== a/b.rules ==\n' + GOOD)
    assert list(files) == ["a/rulebook.rules", "a/b.rules"]
    book, diags = ext.load_files(files, "a")
    assert diags == [] and [r.id for r in book.rules] == ["YP-09"]
    book, diags = ext.load_files({"a/rulebook.rules": '包含 "../x.rules"\n', "x.rules": ""}, "a")
    assert book is None and [d.code for d in diags] == ["E0105"]


def test_catalogue_page_never_fails(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    import catalogue_page

    missing = catalogue_page.catalogue_rst(tmp_path)
    assert "does not load yet" in missing
    folder = tmp_path / catalogue_page.RULEBOOK
    folder.mkdir(parents=True)
    (folder / "药品类.rules").write_text(GOOD, encoding="utf-8")
    text = catalogue_page.catalogue_rst(tmp_path)
    assert "YP-09 门诊超量开药" in text and ".. _rule-YP-09:" in text
