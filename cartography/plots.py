"""Data maps: x = variability, y = confidence, colour = correctness.

Both functions return the artefact (PNG bytes, HTML text); the caller writes it with
:mod:`wslab.io`. The HTML page is self-contained (inline SVG and JavaScript, no CDN) and shows
each point's text, given label and scores on hover.
"""

from __future__ import annotations

import io
import json

import numpy as np
import polars as pl

__all__ = ["data_map_png", "data_map_html"]

_REQUIRED = ("confidence", "variability", "correctness")


def _check(frame: pl.DataFrame) -> None:
    for name in _REQUIRED:
        if name not in frame.columns:
            raise ValueError(f"data map frame must have a {name!r} column; found {frame.columns}.")


def data_map_png(frame: pl.DataFrame, *, title: str = "Data map", max_points: int = 50_000,
                 seed: int | None = 0, dpi: int = 110) -> bytes:
    """Render the data map as PNG bytes with matplotlib's Agg canvas (no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _check(frame)
    frame = _sample(frame, max_points, seed)
    fig = Figure(figsize=(7, 6), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    sc = ax.scatter(frame["variability"].to_numpy(), frame["confidence"].to_numpy(),
                    c=frame["correctness"].to_numpy(), cmap="coolwarm_r", vmin=0, vmax=1,
                    s=8, alpha=0.7, linewidths=0)
    fig.colorbar(sc, ax=ax, label="correctness")
    ax.set_xlabel("variability")
    ax.set_ylabel("confidence")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    ax.set_title(f"{title} (n={frame.height})")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _sample(frame: pl.DataFrame, max_points: int, seed: int | None) -> pl.DataFrame:
    """Keep every point if there are at most ``max_points``; otherwise keep all points outside
    the easy-to-learn region first (when a ``region`` column exists) and fill up at random."""
    if frame.height <= max_points:
        return frame
    rng = np.random.default_rng(seed)
    if "region" in frame.columns:
        keep = np.flatnonzero((frame["region"] != "easy-to-learn").to_numpy())
        if keep.size > max_points:
            keep = rng.choice(keep, max_points, replace=False)
        rest = np.setdiff1d(np.arange(frame.height), keep)
        fill = rng.choice(rest, max_points - keep.size, replace=False)
        idx = np.sort(np.concatenate([keep, fill]))
    else:
        idx = np.sort(rng.choice(frame.height, max_points, replace=False))
    return frame[idx]


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body{font-family:system-ui,sans-serif;margin:16px;color:#222}
#tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #999;padding:6px 8px;
max-width:420px;font-size:13px;box-shadow:0 2px 6px rgba(0,0,0,.2);display:none;white-space:pre-wrap}
circle{stroke:none;opacity:.75} circle:hover{stroke:#000;stroke-width:1.5;opacity:1}
.axis{font-size:12px}
</style></head><body>
<h2>__TITLE__</h2>
<p>x = variability, y = confidence, colour = correctness (blue = always predicted the given
label, red = never). Hover a point to read the item. Showing __SHOWN__ of __TOTAL__ points.</p>
<svg id="map" width="760" height="560" xmlns="http://www.w3.org/2000/svg"></svg>
<div id="tip"></div>
<script type="application/json" id="points">__DATA__</script>
<script>
(function(){
var P=JSON.parse(document.getElementById('points').textContent);
var svg=document.getElementById('map'),tip=document.getElementById('tip');
var W=760,H=560,L=60,R=20,T=20,B=50,NS='http://www.w3.org/2000/svg';
var xmax=Math.max(0.05,Math.max.apply(null,P.v.concat([0])))*1.05;
function sx(v){return L+(W-L-R)*v/xmax} function sy(c){return T+(H-T-B)*(1-c)}
function el(n,a,txt){var e=document.createElementNS(NS,n);for(var k in a)e.setAttribute(k,a[k]);
if(txt!==undefined)e.textContent=txt;svg.appendChild(e);return e}
function colour(c){var r=Math.round(214*(1-c)+44*c),g=Math.round(39*(1-c)+123*c),b=Math.round(40*(1-c)+182*c);
return 'rgb('+r+','+g+','+b+')'}
el('line',{x1:L,y1:H-B,x2:W-R,y2:H-B,stroke:'#444'});el('line',{x1:L,y1:T,x2:L,y2:H-B,stroke:'#444'});
for(var i=0;i<=5;i++){var c=i/5,v=xmax*i/5;
el('text',{x:L-8,y:sy(c)+4,'text-anchor':'end','class':'axis'},c.toFixed(1));
el('text',{x:sx(v),y:H-B+16,'text-anchor':'middle','class':'axis'},v.toFixed(2));}
el('text',{x:(W+L)/2,y:H-10,'text-anchor':'middle'},'variability');
el('text',{x:14,y:(H-B)/2,transform:'rotate(-90 14 '+(H-B)/2+')','text-anchor':'middle'},'confidence');
function fmt(x){return (Math.round(x*1000)/1000).toString()}
for(var j=0;j<P.c.length;j++){
var dot=el('circle',{cx:sx(P.v[j]),cy:sy(P.c[j]),r:3.2,fill:colour(P.k[j])});dot.dataset.i=j;}
svg.addEventListener('mousemove',function(ev){var i=ev.target.dataset?ev.target.dataset.i:undefined;
if(i===undefined){tip.style.display='none';return}
tip.textContent='id: '+P.id[i]+'\\nlabel: '+P.label[i]+'   region: '+P.region[i]+'\\nconfidence '+fmt(P.c[i])+
'  variability '+fmt(P.v[i])+'  correctness '+fmt(P.k[i])+'\\n\\n'+P.text[i];
tip.style.display='block';tip.style.left=(ev.clientX+14)+'px';tip.style.top=(ev.clientY+14)+'px';});
svg.addEventListener('mouseleave',function(){tip.style.display='none'});
})();
</script></body></html>
"""


def data_map_html(frame: pl.DataFrame, *, id_col: str = "id", text_col: str = "text",
                  label_col: str = "given_label", title: str = "Data map", max_points: int = 5000,
                  max_text_chars: int = 600, seed: int | None = 0) -> str:
    """Return a self-contained interactive HTML data map.

    At most ``max_points`` points are drawn (all non-easy points first, see :func:`_sample`);
    texts are cut at ``max_text_chars`` characters.
    """
    import html as _html

    _check(frame)
    total = frame.height
    frame = _sample(frame, max_points, seed)

    def col(name: str, default: str = "") -> list:
        if name in frame.columns:
            return [("" if x is None else str(x)) for x in frame[name].to_list()]
        return [default] * frame.height

    data = {
        "c": [round(float(x), 4) for x in frame["confidence"].to_list()],
        "v": [round(float(x), 4) for x in frame["variability"].to_list()],
        "k": [round(float(x), 4) for x in frame["correctness"].to_list()],
        "id": col(id_col),
        "label": col(label_col),
        "region": col("region"),
        "text": [t[:max_text_chars] for t in col(text_col)],
    }
    # JSON inside <script>: escape "<", ">" and "&" so no text can close the tag.
    blob = (json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))
    return (_PAGE.replace("__TITLE__", _html.escape(title)).replace("__SHOWN__", str(frame.height))
            .replace("__TOTAL__", str(total)).replace("__DATA__", blob))
