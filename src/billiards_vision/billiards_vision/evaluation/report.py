# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Human-readable output of the metrics: a text summary, report.md, metrics.json and plots.

``write_report(metrics, out_dir)`` takes the dict of ``score_detections`` (optionally with a
"tracking" entry from ``score_tracking``) and writes metrics.json, report.md,
centre_error.png (histogram and CDF of matched centre errors), type_confusion.png and
per_frame_recall.png. Returns the list of written paths.
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import numpy as np  # noqa: E402


def _fmt(value, digits=3) -> str:
    if value is None:
        return 'n/a'
    if isinstance(value, float):
        return f'{value:.{digits}f}'
    return str(value)


def _stat(summary, key='median') -> str:
    return 'n/a' if not summary else f'{summary[key]:.2f}'


def summary_rows(metrics: dict) -> list[tuple[str, str]]:
    """(name, value) rows of the headline numbers."""
    b, t, c, ap = metrics['balls'], metrics['table'], metrics['cue'], metrics['ap']
    fr = metrics['frames']
    rows = [
        ('frames (missing pred / unused pred)',
         f'{fr["n_gt"]} ({fr["n_missing_pred"]} / {fr["n_unused_pred"]})'),
        ('balls gt / pred / tp', f'{b["n_gt"]} / {b["n_pred"]} / {b["tp"]}'),
        ('ball precision', _fmt(b['precision'])), ('ball recall', _fmt(b['recall'])),
        ('ball F1', _fmt(b['f1'])),
        ('ball AP (type-agnostic)', _fmt(ap['ball_ap'])), ('type mAP', _fmt(ap['map'])),
        ('centre error median / p95 px',
         f'{_stat(b["centre_error_px"])} / {_stat(b["centre_error_px"], "p95")}'),
        ('radius error median px (bias)', f'{_stat(b["radius_error_px"])} ({_fmt(b["radius_bias_px"], 2)})'),
        ('marker-dot false positives', f'{b["marker_fp"]} (of {b["n_markers"]} dots shown)'),
        ('type accuracy (n)', f'{_fmt(metrics["types"]["accuracy"])} ({metrics["types"]["n"]})'),
        ('number accuracy (n)', f'{_fmt(metrics["numbers"]["accuracy"])} ({metrics["numbers"]["n"]})'),
    ]
    if t['n_labelled']:
        rows += [('table detected', f'{t["n_detected"]} / {t["n_labelled"]}'),
                 ('corner error mean / max px',
                  f'{_stat(t["corner_error_px"], "mean")} / {_stat(t["corner_error_px"], "max")}'),
                 ('pocket error mean / max px',
                  f'{_stat(t["pocket_error_px"], "mean")} / {_stat(t["pocket_error_px"], "max")}')]
    if t['n_field_labelled']:
        rows.append(('field IoU mean (frames)', f'{_stat(t["field_iou"], "mean")} '
                     f'({t["field_iou"]["n"] if t["field_iou"] else 0} / {t["n_field_labelled"]})'))
    if c['n_with_cue']:
        rows += [('cue detected', f'{c["n_detected"]} / {c["n_with_cue"]}'),
                 ('cue tip error median px', _stat(c['tip_error_px'])),
                 ('cue angle error median / max deg',
                  f'{_stat(c["angle_error_deg"])} / {_stat(c["angle_error_deg"], "max")}')]
    if c['n_without_cue']:
        rows.append(('cue false positives', f'{c["false_positives"]} / {c["n_without_cue"]} frames'))
    tr = metrics.get('tracking')
    if tr:
        rows += [('MOTA', _fmt(tr['mota'])), ('MOTP px', _fmt(tr['motp_px'], 2)), ('IDF1', _fmt(tr['idf1'])),
                 ('id switches / fragmentations', f'{tr["id_switches"]} / {tr["fragmentations"]}'),
                 ('speed error median m/s', _stat(tr['speed_error_mps']))]
        shown = tr.get('numbers_shown')
        if shown:
            rows.append(('numbers shown right / wrong / none',
                         f'{_fmt(shown["right"])} / {_fmt(shown["wrong"])} / {_fmt(shown["none"])} of {shown["n"]}'
                         f' (a number on two balls in {shown["frames_number_twice"]} frames)'))
    for name, sub in sorted(metrics.get('by_dataset', {}).items()):
        sb = sub['balls']
        values = (sb['precision'], sb['recall'], sb['f1'], sub['ap']['ball_ap'])
        rows.append((f'[{name}] P / R / F1 / AP', ' / '.join(_fmt(v) for v in values)))
    return rows


def format_summary(metrics: dict) -> str:
    rows = summary_rows(metrics)
    width = max(len(name) for name, _ in rows)
    return '\n'.join(f'{name:<{width}}  {value}' for name, value in rows)


def _plot_centre_error(errors, path: Path) -> None:
    fig, (ax_h, ax_c) = plt.subplots(1, 2, figsize=(9, 3.5))
    if errors:
        e = np.sort(np.asarray(errors))
        ax_h.hist(e, bins=min(40, max(5, len(e) // 5)))
        ax_c.plot(e, np.arange(1, len(e) + 1) / len(e))
    ax_h.set(title='Centre error histogram', xlabel='error [px]', ylabel='matched balls')
    ax_c.set(title='Centre error CDF', xlabel='error [px]', ylabel='fraction', ylim=(0, 1.02))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_confusion(confusion: dict, path: Path) -> None:
    labels, matrix = confusion['labels'], np.asarray(confusion['matrix'])
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(matrix, cmap='Blues')
    ax.set_xticks(range(len(labels)), labels, rotation=45)
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel='predicted type', ylabel='ground-truth type', title='Ball type confusion (matched balls)')
    for (i, j), n in np.ndenumerate(matrix):
        ax.text(j, i, str(n), ha='center', va='center', color='black' if n <= matrix.max() / 2 else 'white')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_recall(per_frame: list[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 3.5))
    xs = [i for i, row in enumerate(per_frame) if row['recall'] is not None]
    ax.plot(xs, [per_frame[i]['recall'] for i in xs], marker='.', linestyle='-' if len(xs) > 30 else 'none')
    ax.set(title='Per-frame ball recall', xlabel='frame index (ground-truth order)', ylabel='recall',
           ylim=(-0.02, 1.02))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(metrics: dict, out_dir) -> list[Path]:
    """Write metrics.json, report.md and the PNG plots into out_dir (created if needed)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ('metrics.json', 'report.md', 'centre_error.png',
                                           'type_confusion.png', 'per_frame_recall.png')}
    paths['metrics.json'].write_text(json.dumps(metrics, indent=1) + '\n', encoding='utf-8')
    _plot_centre_error(metrics.get('centre_errors_px', []), paths['centre_error.png'])
    _plot_confusion(metrics['types']['confusion'], paths['type_confusion.png'])
    _plot_recall(metrics.get('per_frame', []), paths['per_frame_recall.png'])
    lines = ['# Evaluation report', '', '| metric | value |', '|---|---|']
    lines += [f'| {name} | {value} |' for name, value in summary_rows(metrics)]
    s = metrics.get('settings', {})
    lines += ['', f'Matching: {s.get("match")} (centre within {s.get("distance_gate_radius")} x radius, '
              f'or box IoU >= {s.get("iou_threshold")}).', '',
              '![centre error](centre_error.png)', '', '![type confusion](type_confusion.png)', '',
              '![per-frame recall](per_frame_recall.png)', '']
    imperfect = [r for r in metrics.get('per_frame', []) if r['fn'] or r['fp']]
    worst = sorted(imperfect, key=lambda r: (r['recall'] if r['recall'] is not None else 1.0, -r['fp']))[:10]
    if worst:
        lines += ['## Worst frames', '', '| frame | gt | pred | tp | fp | recall |',
                  '|---|---|---|---|---|---|']
        lines += ['| ' + ' | '.join(str(r[k]) for k in ('frame', 'n_gt', 'n_pred', 'tp', 'fp'))
                  + f' | {_fmt(r["recall"])} |' for r in worst]
    paths['report.md'].write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return list(paths.values())
