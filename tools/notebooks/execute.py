"""Executes notebooks headless on the Deno kernel and exports them to HTML with live Plotly charts.

Run with Debian's /usr/bin/python3 (jupyter-nbconvert, jupyter-client); `deno task notebooks`
calls it with JUPYTER_PATH pointing at the project's kernelspec (tools/jupyter).

Why not `jupyter nbconvert --execute`: Deno's kernel sometimes publishes stream and display
messages after it has reported the cell idle, and nbclient stops reading a cell's messages at
idle, so outputs go missing (4 of 20 stock runs of a 5-cell notebook kept them all). This client
keeps reading a cell's messages until none has arrived for a grace period after idle.

Usage: execute.py --out DIR [--grace SECONDS] [--timeout SECONDS] NOTEBOOK...
Exit status 1 when any cell fails; the partial notebook (outputs up to and including the error)
is still written, and the remaining notebooks still run.
"""

import argparse
import json
import os
import sys
import time
from queue import Empty

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError
from nbclient.util import ensure_async
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

PLOTLY_MIME = "application/vnd.plotly.v1+json"
HERE = os.path.dirname(os.path.abspath(__file__))


class GraceClient(NotebookClient):
    """nbclient that drains a cell's late iopub messages for `grace_s` after idle."""

    grace_s = 1.0

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.grace_s))
            except Empty:
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                pass


class PlotlyToHtml(Preprocessor):
    """Gives every Plotly output an HTML rendering that draws it with the page's plotly.js."""

    def preprocess(self, nb, resources):
        counter = 0
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                data = out.get("data") if out.get("output_type") in (
                    "display_data", "execute_result") else None
                if not data or PLOTLY_MIME not in data:
                    continue
                counter += 1
                fig = data.pop(PLOTLY_MIME)
                div = f"plotly-{counter}"
                # Closing tags inside the JSON would end the script element early.
                payload = json.dumps(fig).replace("</", "<\\/")
                data["text/html"] = (
                    f'<div id="{div}" class="ser-plotly"></div>\n'
                    f'<script>(function () {{ const fig = {payload};\n'
                    f'Plotly.newPlot("{div}", fig.data, fig.layout || {{}},'
                    f' Object.assign({{responsive: true}}, fig.config || {{}})); }})();</script>'
                )
        return nb, resources


def write_atomic(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def export_html(nb, path):
    exporter = HTMLExporter(template_name="ser", extra_template_basedirs=[
                            os.path.join(HERE, "templates")])
    exporter.register_preprocessor(PlotlyToHtml(), enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    write_atomic(path, body)


def error_summary(nb):
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
    return "a cell failed"


def run_one(src, out_dir, grace_s, timeout_s):
    nb = nbformat.read(src, as_version=4)
    name = os.path.splitext(os.path.basename(src))[0]
    client = GraceClient(
        nb,
        kernel_name="deno",
        timeout=timeout_s,
        iopub_timeout=int(grace_s + 30),
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
    )
    client.grace_s = grace_s
    started = time.monotonic()
    failure = None
    try:
        client.execute()
    except CellExecutionError:
        failure = error_summary(nb)
    except Exception as err:  # kernel died, timeout: still save what ran
        failure = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    seconds = time.monotonic() - started
    nb.metadata["ser_execution"] = {
        "seconds": round(seconds, 1),
        "ok": failure is None,
        "error": failure,
        "grace_s": grace_s,
    }
    out_nb = os.path.join(out_dir, f"{name}.ipynb")
    write_atomic(out_nb, nbformat.writes(nb))
    out_html = os.path.join(out_dir, f"{name}.html")
    export_html(nb, out_html)
    status = "ok" if failure is None else f"FAILED ({failure})"
    print(f"{name}: {status}, {seconds:.1f} s -> {out_nb}, {out_html}", flush=True)
    return failure is None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--grace", type=float, default=1.0)
    parser.add_argument("--timeout", type=int, default=3600, help="per cell, seconds")
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    ok = True
    for src in args.notebooks:
        ok = run_one(src, args.out, args.grace, args.timeout) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
