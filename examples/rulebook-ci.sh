#!/usr/bin/env bash
# The CI job of a rulebook repository: what a merge request that changes rules must pass.
#
#   bash rulebook-ci.sh RULEBOOK [LIVE_RULEBOOK]
#
# RULEBOOK is the folder under review. LIVE_RULEBOOK, when given, is the same rulebook as it is
# in production (for example a `git worktree` of the main branch): the job then reports, per rule,
# the firings and amounts the change adds and removes on a sample extract, as Markdown for the
# merge-request comment (rule-diff.md), and fails when the change goes too far.
#
# Environment: CLAIMS and KB, a sample extract for the diff (default: ruledsl's embedded demo);
# KEYWORDS, the keyword language the files are kept in (zh or en, default zh);
# PYTEST_ADDOPTS, extra pytest options (pytest reads it), e.g. "-k YC-01" for one rule.
set -euo pipefail

book="${1:?usage: rulebook-ci.sh RULEBOOK [LIVE_RULEBOOK]}"
live="${2:-}"

ruledsl check "$book"                              # every problem, with file:line:col; exit 1
ruledsl fmt --check --lang "${KEYWORDS:-zh}" "$book"    # canonical layout of the rule files
ruledsl test "$book"                               # every rule's examples, on both engines
python -m pytest -q -p no:cacheprovider "$book"    # generated tests of the pytest plugin

if [[ -n "$live" ]]; then
    ruledsl diff "$live" "$book" ${CLAIMS:+--claims "$CLAIMS"} ${KB:+--kb "$KB"} \
        --format markdown -o rule-diff.md \
        --fail-if "removed_amount>100000" --fail-if "added>500"
    cat rule-diff.md
fi
