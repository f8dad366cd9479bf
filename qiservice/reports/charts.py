"""Charts as SVG strings, drawn on the server: no JavaScript, no CDN, no font download.

Every chart scales to its container (`viewBox`, width 100%). The drawing is 330 units wide,
so on a 375 px phone (a card about 325 px wide) a 15-unit label is about 15 px; the page
caps a chart's width on a desktop so the text stays that size there too; labels sit above their bars,
never squeezed beside them. Each bar has a `<title>` (the tooltip) and, when given, a link
to the list behind it; the chart's `aria-label` states all its figures, and the page shows
the same figures in a table too.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

WIDTH = 330
FONT = "font-family=\"system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif\""
COLOURS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#d63384", "#6c757d", "#0dcaf0"]
STACK = {"open": "#0d6efd", "completed": "#198754", "dropped": "#adb5bd"}
TOTAL_FONT = 13  # the month totals above the bars
DIGIT = 0.6  # a digit's advance in system-ui sans fonts, in ems (at most)


def _fmt(value, unit=""):
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:.1f}".rstrip("0").rstrip(".") if unit == "%" else f"{value:.2f}"
    return f"{value}{unit}"


def _svg(height, label, body):
    # Every text and link that goes in was escaped where it was written.
    return mark_safe(  # noqa: S308
        f'<svg class="qi-chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMinYMin meet" {FONT} '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _linked(link, inner):
    return f'<a href="{escape(link)}">{inner}</a>' if link else inner


def bar_chart(items, *, title, unit="", max_value=None, colour=None):
    """Horizontal bars, one per item: {"label", "value", "link"?, "note"?}.

    Each item takes two lines: its label (and value) above, its bar below."""
    if not items:
        return empty_chart(title)
    top = max_value or max((i["value"] or 0) for i in items) or 1
    row = 46
    parts = []
    for n, item in enumerate(items):
        y = n * row
        value = item["value"] or 0
        width = max(2 if value else 0, (WIDTH - 4) * min(value, top) / top)
        tip = f"{item['label']}：{_fmt(item['value'], unit)}" + (f"（{item['note']}）" if item.get("note") else "")
        fill = colour or COLOURS[n % len(COLOURS)]
        inner = (
            f"<g><title>{escape(tip)}</title>"
            f'<text x="0" y="{y + 16}" font-size="15" fill="#212529">{escape(item["label"])}</text>'
            f'<text x="{WIDTH}" y="{y + 16}" font-size="15" font-weight="600" text-anchor="end" '
            f'fill="#212529">{escape(_fmt(item["value"], unit))}</text>'
            f'<rect x="0" y="{y + 22}" width="{WIDTH}" height="14" rx="3" fill="#e9ecef"/>'
            f'<rect x="0" y="{y + 22}" width="{width:.1f}" height="14" rx="3" fill="{fill}"/></g>'
        )
        parts.append(_linked(item.get("link"), inner))
    label = title + "：" + "；".join(f"{i['label']} {_fmt(i['value'], unit)}" for i in items)
    return _svg(len(items) * row, label, "".join(parts))


def stacked_months(months, *, title, series):
    """Vertical stacked bars per month. months: [{"label", <series keys>, "link"?}];
    series: [(key, label)]. The legend is drawn large, above the bars."""
    if not months:
        return empty_chart(title)
    legend_h, axis_h, plot_h = 30, 26, 200
    totals = [sum(m[k] for k, _l in series) for m in months]
    top = max(totals) or 1
    slot = WIDTH / len(months)
    bar = min(36, slot * 0.7)
    # Each bar's total sits above it, across when it fits in the bar's slot, else upright
    # (a year of five-digit months: "20541" is 38 units across a 27.5-unit slot).
    widest = max(len(str(total)) for total in totals) * DIGIT * TOTAL_FONT
    upright = widest > slot * 0.95
    label_h = widest + 8 if upright else 20  # room above the tallest bar, clear of the legend
    parts = []
    x = 0
    for k, label in series:
        parts.append(
            f'<rect x="{x}" y="4" width="16" height="16" rx="2" fill="{STACK.get(k, "#6c757d")}"/>'
            f'<text x="{x + 22}" y="18" font-size="15" fill="#212529">{escape(label)}</text>'
        )
        x += 30 + 15 * len(str(label))
    every = max(1, round(len(months) / 8))  # at most about 8 month labels on the axis
    for n, (m, total) in enumerate(zip(months, totals, strict=True)):
        cx = slot * n + slot / 2
        y = legend_h + plot_h
        segs = []
        for k, _label in series:
            h = (plot_h - label_h) * m[k] / top
            if h:
                y -= h
                colour = STACK.get(k, "#6c757d")
                segs.append(
                    f'<rect x="{cx - bar / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}"/>'
                )
        tip = f"{m['label']}：" + "，".join(f"{label} {m[k]}" for k, label in series) + _("，合计 %(n)s") % {"n": total}
        text = ""
        if total and len(months) <= 12:
            # Upright, the text runs up from its baseline with the glyphs' middle on the bar's axis.
            tx, ty = (cx + TOTAL_FONT * 0.35 if upright else cx), y - 4
            placed = f'transform="rotate(-90 {tx:.1f} {ty:.1f})"' if upright else 'text-anchor="middle"'
            text = f'<text x="{tx:.1f}" y="{ty:.1f}" font-size="{TOTAL_FONT}" {placed} fill="#212529">{total}</text>'
        hit = f'<rect x="{slot * n:.1f}" y="{legend_h}" width="{slot:.1f}" height="{plot_h}" fill="transparent"/>'
        group = f"<g><title>{escape(tip)}</title>{hit}{''.join(segs)}{text}</g>"
        parts.append(_linked(m.get("link"), group))
        if n % every == 0:
            axis = _("%(m)s月") % {"m": int(m["label"][5:])} if len(months) <= 12 else m["label"]
            parts.append(
                f'<text x="{cx:.1f}" y="{legend_h + plot_h + 20}" font-size="14" text-anchor="middle" '
                f'fill="#495057">{escape(axis)}</text>'
            )
    parts.append(f'<line x1="0" y1="{legend_h + plot_h}" x2="{WIDTH}" y2="{legend_h + plot_h}" stroke="#adb5bd"/>')
    label = (
        title + "：" + "；".join(f"{m['label']} " + "，".join(f"{label} {m[k]}" for k, label in series) for m in months)
    )
    return _svg(legend_h + plot_h + axis_h, label, "".join(parts))


def donut(rate, *, title, caption=""):
    """A ring showing one percentage, the number in its middle."""
    import math

    r, cx, cy = 70, WIDTH / 2, 90
    circumference = 2 * math.pi * r
    value = rate or 0
    dash = circumference * value / 100
    body = (
        f"<g><title>{escape(title)}：{escape(_fmt(rate, '%'))}</title>"
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="#e9ecef" stroke-width="22"/>'
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="#198754" stroke-width="22" '
        f'stroke-dasharray="{dash:.1f} {circumference:.1f}" transform="rotate(-90 {cx} {cy})"/>'
        f'<text x="{cx}" y="{cy + 10}" font-size="30" font-weight="700" text-anchor="middle" '
        f'fill="#212529">{escape(_fmt(rate, "%"))}</text>'
        f'<text x="{cx}" y="{cy + 100}" font-size="15" text-anchor="middle" fill="#495057">{escape(caption)}</text></g>'
    )
    return _svg(200, f"{title}：{_fmt(rate, '%')}，{caption}", body)


def empty_chart(title):
    return _svg(40, f"{title}：暂无数据", '<text x="0" y="24" font-size="15" fill="#6c757d">暂无数据</text>')
