"""The HTML/JS template of the interactive data map (:func:`wslab.cartography.plots.data_map_html`).

One page, no external resource: inline CSS, one inline ``<script>`` (the report allows it by
its CSP hash, so it carries no attribute and no inline event handler) and the data as JSON in a
``<script type="application/json">`` block. Points are drawn on a ``<canvas>``; every text the
page shows from the data goes through ``textContent``, never ``innerHTML``.

Placeholders: ``__TITLE__`` (HTML-escaped), ``__NOTE__`` (HTML-escaped), ``__DATA__`` (JSON with
``<``, ``>`` and ``&`` escaped).
"""

PAGE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body{font-family:system-ui,sans-serif;margin:12px;color:#222;font-size:14px}
h2{margin:0 0 6px 0;font-size:18px}
p{margin:4px 0 8px 0;max-width:760px}
#bar{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin-bottom:6px}
#bar select,#bar button{font-size:13px}
#status{color:#555;font-size:12px}
#wrap{position:relative;width:720px;height:520px}
#map{width:720px;height:520px;cursor:crosshair;display:block}
#band{position:absolute;border:1px dashed #333;background:rgba(80,80,80,.12);display:none;pointer-events:none}
#hists{display:flex;gap:12px;margin-top:8px}
#hists canvas{width:232px;height:150px;border:1px solid #ddd}
#legend{font-size:12px;color:#444;margin-top:4px}
.sw{display:inline-block;width:12px;height:12px;vertical-align:-2px;margin:0 3px 0 10px;border:1px solid #aaa}
#tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #999;padding:6px 8px;max-width:420px;
font-size:12px;box-shadow:0 2px 6px rgba(0,0,0,.2);display:none;white-space:pre-wrap;overflow-wrap:anywhere;z-index:5}
#tip b{font-weight:600}
</style></head><body>
<h2>__TITLE__</h2>
<p>x = variability, y = confidence (of the given label, over training epochs), colour = correctness
(blue = always predicted the given label, red = never). Shaded: the regions of the rule in
<code>wslab.cartography.regions</code>. Drag a rectangle or turn the wheel to zoom; hover a point to
read it. __NOTE__</p>
<div id="bar">
<label>Class (given label): <select id="cls"><option value="-1">all classes</option></select></label>
<button id="reset" type="button">Reset zoom</button>
<span id="status"></span>
</div>
<div id="wrap"><canvas id="map" width="720" height="520"></canvas><div id="band"></div></div>
<div id="legend"></div>
<div id="hists"><canvas id="h_confidence" width="232" height="150"></canvas>
<canvas id="h_variability" width="232" height="150"></canvas>
<canvas id="h_correctness" width="232" height="150"></canvas></div>
<div id="tip"></div>
<script type="application/json" id="points">__DATA__</script>
<script>
(function(){
'use strict';
var D=JSON.parse(document.getElementById('points').textContent);
var P=D.points,N=P.c.length,names=D.names,regions=D.regions;
var cv=document.getElementById('map'),ctx=cv.getContext('2d'),tip=document.getElementById('tip');
var band=document.getElementById('band'),sel=document.getElementById('cls'),stat=document.getElementById('status');
var W=720,H=520,L=52,R=14,T=12,B=40,PW=W-L-R,PH=H-T-B,dpr=window.devicePixelRatio||1;
function hidpi(c,w,h){c.width=w*dpr;c.height=h*dpr;var x=c.getContext('2d');x.setTransform(dpr,0,0,dpr,0,0);return x}
ctx=hidpi(cv,W,H);
var full={x0:0,x1:D.xmax,y0:-0.02,y1:1.02},view={x0:full.x0,x1:full.x1,y0:full.y0,y1:full.y1};
var cls=-1,vis=[];
D.classes.forEach(function(k){var o=document.createElement('option');o.value=String(k);o.textContent=names[k];sel.appendChild(o)});
var COLS=['#d62728','#e8743b','#b9a9c9','#6f9fd1','#2c7bb6'];
function bucket(k){return Math.min(4,Math.max(0,Math.round(k*4)))}
var lg=document.getElementById('legend');
['correctness 0','0.25','0.5','0.75','1'].forEach(function(t,i){var s=document.createElement('span');s.className='sw';
s.style.background=COLS[i];lg.appendChild(s);lg.appendChild(document.createTextNode(t))});
if(D.density){var s2=document.createElement('span');s2.className='sw';s2.style.background='#777';lg.appendChild(s2);
lg.appendChild(document.createTextNode('density of the points not drawn one by one'))}
function sx(v){return L+PW*(v-view.x0)/(view.x1-view.x0)}
function sy(c){return T+PH*(1-(c-view.y0)/(view.y1-view.y0))}
function ix(px){return view.x0+(px-L)/PW*(view.x1-view.x0)}
function iy(py){return view.y0+(1-(py-T)/PH)*(view.y1-view.y0)}
function filter(){vis=[];for(var i=0;i<N;i++){if(cls<0||P.g[i]===cls)vis.push(i)}}
function rect(x0,y0,x1,y1,fill){var a=Math.max(sx(x0),L),b=Math.min(sx(x1),L+PW),c=Math.max(sy(y1),T),d=Math.min(sy(y0),T+PH);
if(b>a&&d>c){ctx.fillStyle=fill;ctx.fillRect(a,c,b-a,d-c)}}
function label(t,x,y){var px=sx(x),py=sy(y);if(px<L||px>L+PW||py<T||py>T+PH)return;
ctx.fillStyle='rgba(255,255,255,0.75)';ctx.fillRect(px-2,py-12,ctx.measureText(t).width+4,16);ctx.fillStyle='#333';ctx.fillText(t,px,py)}
function ticks(a,b){var span=b-a,step=Math.pow(10,Math.floor(Math.log(span/5)/Math.LN10)),m=span/step/5;
step*=m>=5?5:m>=2?2:1;var out=[];for(var t=Math.ceil(a/step)*step;t<=b+1e-12;t+=step)out.push(t);return out}
function fmt(x,d){return (Math.round(x*Math.pow(10,d))/Math.pow(10,d)).toString()}
function draw(){
ctx.clearRect(0,0,W,H);var vt=D.vt,ct=D.ct,big=1e9;
rect(-big,ct,vt,big,'rgba(44,160,44,0.10)');rect(-big,-big,vt,ct,'rgba(214,39,40,0.10)');rect(vt,-big,big,big,'rgba(255,165,0,0.10)');
ctx.save();ctx.beginPath();ctx.rect(L,T,PW,PH);ctx.clip();
if(D.density){var g=D.density,cw=D.xmax/g.nx,ch=1/g.ny;ctx.fillStyle='#555';
var tot=g.cells;for(var j=0;j<tot.length;j++){var e=tot[j];var n=cls<0?e[1]:(e[2][cls]||0);if(!n)continue;
var bx=e[0]%g.nx,by=Math.floor(e[0]/g.nx);ctx.globalAlpha=Math.min(0.85,0.15+0.7*Math.log(1+n)/Math.log(1+g.max));
var a=sx(bx*cw),b=sx((bx+1)*cw),c=sy((by+1)*ch),d=sy(by*ch);ctx.fillRect(a,c,Math.max(1,b-a),Math.max(1,d-c))}
ctx.globalAlpha=1}
var r=vis.length>20000?1.2:vis.length>3000?1.8:2.6;
for(var cb=0;cb<5;cb++){ctx.fillStyle=COLS[cb];ctx.globalAlpha=vis.length>20000?0.55:0.75;ctx.beginPath();
for(var m=0;m<vis.length;m++){var i=vis[m];if(bucket(P.k[i])!==cb)continue;var px=sx(P.v[i]),py=sy(P.c[i]);
if(px<L-3||px>L+PW+3||py<T-3||py>T+PH+3)continue;ctx.rect(px-r,py-r,2*r,2*r)}ctx.fill()}
ctx.globalAlpha=1;ctx.font='12px system-ui,sans-serif';ctx.textAlign='left';
label('easy-to-learn',Math.max(view.x0,0)+(view.x1-view.x0)*0.01,Math.min(view.y1,1.0)-(view.y1-view.y0)*0.03);
label('hard-to-learn (if correctness < 0.5)',Math.max(view.x0,0)+(view.x1-view.x0)*0.01,Math.max(view.y0,0)+(view.y1-view.y0)*0.02);
label('ambiguous',Math.max(view.x0,vt)+(view.x1-view.x0)*0.01,Math.min(view.y1,1.0)-(view.y1-view.y0)*0.03);
ctx.restore();
ctx.strokeStyle='#444';ctx.lineWidth=1;ctx.strokeRect(L,T,PW,PH);ctx.fillStyle='#333';ctx.font='11px system-ui,sans-serif';
ctx.textAlign='center';ticks(view.x0,view.x1).forEach(function(t){ctx.fillText(fmt(t,3),sx(t),T+PH+14)});
ctx.textAlign='right';ticks(view.y0,view.y1).forEach(function(t){ctx.fillText(fmt(t,3),L-6,sy(t)+4)});
ctx.textAlign='center';ctx.font='12px system-ui,sans-serif';ctx.fillText('variability',L+PW/2,H-6);
ctx.save();ctx.translate(13,T+PH/2);ctx.rotate(-Math.PI/2);ctx.fillText('confidence',0,0);ctx.restore();
var zoomed=view.x0!==full.x0||view.x1!==full.x1||view.y0!==full.y0||view.y1!==full.y1;
stat.textContent=(cls<0?'':names[cls]+': ')+vis.length.toLocaleString()+' points drawn one by one'+
(D.density?' (+ density of '+D.n_density.toLocaleString()+')':'')+(zoomed?' · zoomed':'')}
var HN={confidence:'confidence',variability:'variability',correctness:'correctness'};
function hist(name){var h=D.hist[name],c=document.getElementById('h_'+name),x=hidpi(c,232,150),w=232,hh=150;
var cnt=[],i,j,mx=1;for(i=0;i<h.bins;i++){var s=0;if(cls<0){for(j=0;j<h.counts.length;j++)s+=h.counts[j][i]}else s=h.counts[cls][i];
cnt.push(s);if(s>mx)mx=s}
x.clearRect(0,0,w,hh);x.fillStyle='#333';x.font='12px system-ui,sans-serif';x.textAlign='left';x.fillText(HN[name],6,14);
x.textAlign='right';x.font='10px system-ui,sans-serif';x.fillText('max '+mx.toLocaleString(),w-4,14);
var l=8,r=8,t=22,b=18,pw=w-l-r,ph=hh-t-b,bw=pw/h.bins;x.fillStyle='#4c78a8';
for(i=0;i<h.bins;i++){var bh=ph*cnt[i]/mx;x.fillRect(l+i*bw+0.5,t+ph-bh,Math.max(1,bw-1),bh)}
x.fillStyle='#333';x.textAlign='left';x.fillText(fmt(h.lo,2),l,hh-4);x.textAlign='right';x.fillText(fmt(h.hi,2),w-r,hh-4)}
function all(){filter();draw();['confidence','variability','correctness'].forEach(hist)}
sel.addEventListener('change',function(){cls=parseInt(sel.value,10);all()});
function reset(){view={x0:full.x0,x1:full.x1,y0:full.y0,y1:full.y1};draw()}
document.getElementById('reset').addEventListener('click',reset);
cv.addEventListener('dblclick',reset);
function pos(ev){var b=cv.getBoundingClientRect();return {x:ev.clientX-b.left,y:ev.clientY-b.top}}
var drag=null;
cv.addEventListener('mousedown',function(ev){if(ev.button!==0)return;drag=pos(ev);tip.style.display='none';ev.preventDefault()});
window.addEventListener('mouseup',function(ev){if(!drag)return;var p=pos(ev),d=drag;drag=null;band.style.display='none';
if(Math.abs(p.x-d.x)<5||Math.abs(p.y-d.y)<5)return;var a=ix(Math.min(p.x,d.x)),b=ix(Math.max(p.x,d.x)),
c=iy(Math.max(p.y,d.y)),e=iy(Math.min(p.y,d.y));view={x0:a,x1:b,y0:c,y1:e};draw()});
cv.addEventListener('wheel',function(ev){ev.preventDefault();var p=pos(ev),f=ev.deltaY<0?1/1.25:1.25,cx=ix(p.x),cy=iy(p.y);
view={x0:cx-(cx-view.x0)*f,x1:cx+(view.x1-cx)*f,y0:cy-(cy-view.y0)*f,y1:cy+(view.y1-cy)*f};draw()},{passive:false});
function line(lbl,val){var d=document.createElement('div'),b=document.createElement('b');b.textContent=lbl+': ';
d.appendChild(b);d.appendChild(document.createTextNode(val));return d}
function show(i,ev){tip.textContent='';var s=P.s[i];
[['id',P.id[i]],['given label',names[P.g[i]]],['suggested label',s<0?'—':names[s]],['region',regions[P.r[i]]],
['confidence',fmt(P.c[i],3)],['variability',fmt(P.v[i],3)],['correctness',fmt(P.k[i],3)]].forEach(function(kv){
tip.appendChild(line(kv[0],kv[1]))});var t=document.createElement('div');t.style.marginTop='6px';t.textContent=P.t[i];
tip.appendChild(t);tip.style.display='block';var x=ev.clientX+14,y=ev.clientY+14;
if(x+430>window.innerWidth)x=Math.max(0,ev.clientX-440);tip.style.left=x+'px';tip.style.top=y+'px'}
var pending=null;
cv.addEventListener('mousemove',function(ev){var p=pos(ev);if(drag){var x0=Math.min(p.x,drag.x),y0=Math.min(p.y,drag.y);
band.style.display='block';band.style.left=x0+'px';band.style.top=y0+'px';band.style.width=Math.abs(p.x-drag.x)+'px';
band.style.height=Math.abs(p.y-drag.y)+'px';return}
if(pending)return;pending=window.requestAnimationFrame(function(){pending=null;var best=-1,bd=49;
for(var m=0;m<vis.length;m++){var i=vis[m],dx=sx(P.v[i])-p.x,dy=sy(P.c[i])-p.y,dd=dx*dx+dy*dy;if(dd<bd){bd=dd;best=i}}
if(best<0){tip.style.display='none'}else show(best,ev)})});
cv.addEventListener('mouseleave',function(){tip.style.display='none'});
all();
})();
</script></body></html>
"""
