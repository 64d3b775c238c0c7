"""Running an audit: judge the base run and every probe run (resuming what is stored), then compute
the effects and write ``audit.json`` and ``report.html``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..progress import NullProgress, Progress
from ..store import write_json_atomic
from .evaluation import evaluate
from .models import AuditConfig, AuditResult
from .planning import SharedBackend, plan


def run_audit(cfg: AuditConfig, runner: Any, progress: Callable[[], Progress] | None = None,
              audits_dir: str | Path | None = None) -> tuple[AuditResult, Path]:
    """Judge the base run and every probe run (resuming what is stored) with ``runner`` (the
    judgekit.runner module, which the CLI passes in), compute the effects and write audit.json and
    report.html; returns the result and the audit folder."""
    base, plans = plan(cfg, runner)
    make_progress = progress or NullProgress

    async def judge_all() -> None:
        assert isinstance(base.backend, SharedBackend)
        try:
            await runner.execute(base, make_progress())
            for p in plans:
                if p.prep is not None:
                    await runner.execute(p.prep, make_progress())
        finally:
            await base.backend.close()

    if cfg.judge:
        asyncio.run(judge_all())
    else:
        asyncio.run(base.backend.inner.aclose() if isinstance(base.backend, SharedBackend) else base.backend.aclose())
    result = evaluate(base, plans, cfg)
    out = Path(audits_dir or Path(cfg.run.results_dir) / "audits") / result.audit_id
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "audit.json", result.model_dump(mode="json"))
    from ..probes.report import render_html

    (out / "report.html").write_text(render_html(result), encoding="utf-8")
    return result, out
