"""The index tables and the charts: /tables/ (sortable, filterable, paged, in both languages),
each table's downloads (CSV, XLSX, CSVW metadata) and /charts/technology/<key> (SVG).

Everything a reader chooses lives in the query string, so that a table works without
JavaScript (column headers are links, the filters a GET form) and every view has an address:
``sort``, ``order`` (``asc``/``desc``), ``q`` (a text filter), one parameter per facet
(``stage=MarketShare``), ``date`` (YYYY-MM-DD, default today: the bloc and the export
controls on that day), ``page`` and ``size`` (at most :data:`MAX_PAGE_SIZE` rows a page). The
rows and the files come from :mod:`paxsilica.publish.tables`; this module only reads the
request and answers.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request

from paxsilica import bundle, media
from paxsilica.publish import charts, table_files
from paxsilica.publish.labels import Labels
from paxsilica.publish.readable import day, parse_day
from paxsilica.publish.tables import (
    MAX_PAGE_SIZE,
    PAGE_SIZES,
    SPECS,
    Context,
    Request,
    Selection,
    Spec,
    Tables,
    local_key,
    select,
)
from paxsilica.web import policy
from paxsilica.web.i18n import page_language, strings
from paxsilica.web.state import published
from paxsilica.web.templating import href_for, page_context, page_response

blueprint = Blueprint("tables", __name__)
# The parameters a table reads besides its facets.
_PLAIN = ("sort", "order", "q", "date", "page", "size", "lang")
_DOWNLOADS = {".csv-metadata.json": media.CSVW, ".csv": media.CSV, ".xlsx": media.XLSX}


def tables() -> Tables:
    """The tables of the current application."""
    return published().tables


def requested_day() -> datetime.date:
    """The day the query string's ``date`` asks for (YYYY-MM-DD), today when it asks none;
    400 for anything else. Every page taking ``?date=`` reads it here."""
    asked = policy.plain_parameter("date", request.args.get("date", "")).strip()
    if not asked:
        return datetime.date.today()
    found = parse_day(asked)
    if found is None:
        abort(400, description=f"the date {asked!r} is not a day written YYYY-MM-DD")
    return found


def _number(name: str, default: int) -> int:
    asked = request.args.get(name, "").strip()
    if not asked:
        return default
    if not asked.isdigit() or len(asked) > 6:
        abort(400, description=f"the parameter {name!r} must be a whole number")
    return int(asked)


def _order() -> bool | None:
    asked = request.args.get("order", "")
    if asked not in ("", "asc", "desc"):
        abort(400, description="the order is 'asc' or 'desc'")
    return None if not asked else asked == "desc"


def table_request(spec: Spec) -> Request:
    """What the query string asks of a table; 400 for what it cannot be."""
    facets = {}
    for column in spec.facets:
        wanted = policy.plain_parameter(column.key, request.args.get(column.key, "")).strip()
        if wanted:
            facets[column.key] = wanted
    unknown = sorted(set(request.args) - set(_PLAIN) - {c.key for c in spec.facets})
    if unknown:
        abort(400, description=f"unknown parameters: {', '.join(unknown)}")
    return Request(
        sort=request.args.get("sort") or None,
        descending=_order(),
        text=policy.plain_parameter("q", request.args.get("q", "")).strip()[:200],
        facets=facets,
        page=_number("page", 1),
        size=_number("size", 50),
    )


def _context(lang: str, on: datetime.date, labels: Labels | None = None) -> Context:
    return tables().context(lang, on, href_for, strings(lang), request.script_root, labels)


def _selection(spec: Spec, lang: str, on: datetime.date) -> Selection:
    asked = table_request(spec)
    try:
        return select(tables().rows(spec, _context(lang, on)), spec, asked)
    except ValueError as error:
        abort(400, description=str(error))


def href_with(**changes: str | int | None) -> str:
    """This page's address with some parameters changed (None drops one)."""
    params = {k: v for k, v in request.args.items() if v != ""}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return request.script_root + request.path + (f"?{query}" if query else "")


def _sort_href(selection: Selection, column: str) -> str:
    descending = column == selection.sort and not selection.descending
    return href_with(sort=column, order="desc" if descending else "asc", page=None)


def download_href(spec: Spec, media_type: media.MediaType, lang: str) -> str:
    """The address of a table's file with this page's filters (the whole selection)."""
    suffix = next(s for s, t in _DOWNLOADS.items() if t is media_type)
    # The filters only: a file holds the whole selection, and a crawler meets one address per
    # filtered table rather than one per order and page.
    skipped = ("page", "size", "sort", "order")
    params = {k: v for k, v in request.args.items() if v != "" and k not in skipped}
    params["lang"] = lang
    return f"{request.script_root}/tables/{spec.key}{suffix}?{urlencode(sorted(params.items()))}"


def _notice(lang: str, apart: bool) -> dict:
    return {
        "licence_notice": bundle.NOTICE[lang] if apart else None,
        "licence_notice_href": bundle.CC_BY_NC,
    }


def _page(spec: Spec, lang: str) -> Response:
    on = requested_day()
    selection = _selection(spec, lang, on)
    t = strings(lang)
    body = render_template(
        "table.html",
        spec=spec,
        selection=selection,
        on=on,
        on_text=day(on, lang),
        request_args=request.args,
        sort_href=lambda column: _sort_href(selection, column),
        page_href=lambda page: href_with(page=page),
        downloads=[(m, download_href(spec, m, lang)) for m in media.TABLE_TYPES],
        page_sizes=PAGE_SIZES,
        max_page_size=MAX_PAGE_SIZE,
        chart_href=lambda iri: f"{request.script_root}/charts/technology/{local_key(iri)}",
        **_notice(lang, selection.apart),
        **page_context(lang, t["table_" + spec.key.replace("-", "_")]),
    )
    return page_response(body)


def _download(spec: Spec, media_type: media.MediaType, lang: str) -> Response:
    selection = _selection(spec, lang, requested_day())
    rows = selection.matching
    t = strings(lang)
    notice = bundle.NOTICE[lang] if selection.apart else None
    if media_type is media.CSV:
        body = table_files.csv_bytes(spec, rows, t)
    elif media_type is media.XLSX:
        notes = [
            t["table_" + spec.key.replace("-", "_")],
            request.url,
            *([notice] if notice else []),
        ]
        body = table_files.xlsx_bytes(spec, rows, t, notes)
    else:
        csv_url = (
            request.url_root.rstrip("/")
            + download_href(spec, media.CSV, lang)[len(request.script_root) :]
        )
        metadata = table_files.csvw_metadata(spec, rows, csv_url, t, lang, notice)
        body = table_files.csvw_bytes(metadata)
    response = Response(body, content_type=media_type.content_type)
    response.headers["Content-Disposition"] = (
        f'inline; filename="{spec.key}.{media_type.extension}"'
    )
    links = [f'<{table_files.licence_of(rows)}>; rel="license"']
    if media_type is media.CSV:
        described = download_href(spec, media.CSVW, lang)
        links.append(f'<{described}>; rel="describedby"; type="{media.CSVW.mime}"')
    response.headers["Link"] = ", ".join(links)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.add_etag()
    return response.make_conditional(request)


@blueprint.route("/tables/")
def index() -> Response:
    """The list of tables."""
    lang = page_language()
    body = render_template(
        "tables.html", specs=list(SPECS.values()), **page_context(lang, strings(lang)["tables"])
    )
    return page_response(body)


@blueprint.route("/tables")
def index_without_slash() -> Response:
    """The list of tables lives at /tables/."""
    return policy.redirect_to("/tables/", 308)


@blueprint.route("/tables/<name>")
def table(name: str) -> Response:
    """One table as a page, or one of its files (by the name's ending)."""
    lang = page_language()
    for suffix, media_type in _DOWNLOADS.items():
        if name.endswith(suffix) and name[: -len(suffix)] in SPECS:
            return _download(SPECS[name[: -len(suffix)]], media_type, lang)
    if name not in SPECS:
        abort(404, description=f"no table named {name!r}; tables: {', '.join(SPECS)}")
    return _page(SPECS[name], lang)


# What each kind of chart draws, where its entity's IRI lives, and the words of its title.
_CHARTS = {
    "technology": ("technology/", charts.technology_chart, "chart_suppliers"),
    "state": ("state/", charts.state_chart, "chart_leads"),
    "mineral": ("technology/", charts.mineral_chart, "chart_production"),
}


def _chart_of(kind: str, key: str, lang: str, on: datetime.date) -> dict:
    """What a chart's page, SVG and embed show; 404 when there is nothing to draw."""
    if kind not in _CHARTS or "/" in key:
        abort(404, description=f"no chart {kind}/{key}; charts: {', '.join(_CHARTS)}")
    folder, make, title = _CHARTS[kind]
    iri = published().site.entity_base + folder + key
    # A chart names what it shows from those IRIs' labels (publish.charts), not every label.
    ctx = _context(lang, on, labels=tables().labels_of(()))
    chart = make(ctx, iri)
    timeline = charts.member_timeline(ctx, iri) if kind == "state" else None
    if chart is None and timeline is None:
        abort(404, description=f"nothing to draw for the {kind} {key!r}")
    shown = [iri, *(b.link.iri for b in chart.bars)] if chart else [iri]
    apart = any(i in tables().apart_entities() for i in shown)
    subject = chart.subject if chart else timeline.party
    # A member that leads no input has its timeline alone, and the page is named after it.
    heading = strings(lang)[title if chart else "chart_timeline"]
    return {
        "chart": chart,
        "timeline": timeline,
        "subject": subject,
        "kind": kind,
        "chart_heading": heading,
        "chart_title": heading + strings(lang)["title_separator"] + subject.text,
        "chart_path": f"/charts/{kind}/{key}",
        "on": on,
        "on_text": day(on, lang),
        **_notice(lang, apart),
    }


def chart_links(iri: str, lang: str) -> list[tuple[str, str]]:
    """The charts about an entity, as (words, address), for its page."""
    site = published().site
    found = []
    for kind, (folder, _, title) in _CHARTS.items():
        if not iri.startswith(site.entity_base + folder):
            continue
        key = iri[len(site.entity_base + folder) :]
        if "/" not in key and charts.has_chart(tables(), kind, iri):
            found.append((strings(lang)[title], f"{request.script_root}/charts/{kind}/{key}"))
    return found


def _kept(name: str, render) -> bytes:
    """A chart's answer, made once per address, language and root: it depends only on the
    data and the day (the pages' bounded cache)."""
    # The day is in the key: without ?date= a page is today's, and tomorrow is another.
    on = requested_day().isoformat()
    key = f"{name} {page_language()} {request.script_root} {on} {request.full_path}"
    return published().pages.get(key, render)


@blueprint.route("/charts/<kind>/<key>")
def chart(kind: str, key: str) -> Response:
    """A chart as a page with its figures as tables, or its SVG alone (``<key>.svg``)."""
    lang = page_language()
    svg = key.endswith(".svg")

    def render() -> bytes:
        context = _chart_of(kind, key.removesuffix(".svg"), lang, requested_day())
        if not svg:
            context.update(page_context(lang, context["chart_title"]))
            return render_template("chart.html", **context).encode()
        if context["chart"] is None:
            abort(404, description=f"no bars to draw for the {kind} {key!r}")
        t = strings(lang)
        return render_template(
            "chart_bars.svg", standalone=True, t=t, lang=lang, **context
        ).encode()

    body = _kept("chart", render)
    if not svg:
        return page_response(body)
    response = Response(body, content_type=media.SVG.content_type)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.add_etag()
    return response.make_conditional(request)


@blueprint.route("/embed/charts/<kind>/<key>")
def embed(kind: str, key: str) -> Response:
    """A chart to be framed by other sites: the drawing, its figures and a link back."""
    lang = page_language()

    def render() -> bytes:
        context = _chart_of(kind, key, lang, requested_day())
        context.update(page_context(lang, context["chart_title"]))
        return render_template("embed.html", **context).encode()

    return policy.frameable(page_response(_kept("embed", render)))
