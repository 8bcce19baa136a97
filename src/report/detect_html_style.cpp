// The HTML report's stylesheet (inline in every report; no web fonts, no network).
#include "report/detect_html.hpp"

namespace veritrace::report::detail {

const char* report_css() {
  return R"CSS(
:root{--ink:#1d1d1f;--muted:#5f6368;--line:#dadce0;--bg:#f4f5f7;--card:#fff;
--flag:#b3261e;--flag-bg:#fdecea;--unsure:#8a5a00;--unsure-bg:#fff3d6;--none:#1f5f8b;--none-bg:#e6f0f8;
--na:#555;--na-bg:#eeeeee;--error:#7a1010;--error-bg:#f6dddd}
*{box-sizing:border-box}
html{background:var(--bg)}
body{margin:0;font:15px/1.5 "DejaVu Sans","Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink)}
.page{max-width:1180px;margin:0 auto;padding:28px 28px 48px}
header.doc{border-bottom:3px solid var(--ink);padding-bottom:12px;margin-bottom:20px}
header.doc h1{font-size:28px;margin:0 0 4px;letter-spacing:-.01em}
header.doc .sub{color:var(--muted);font-size:13px;margin:0}
.howto{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--ink);border-radius:6px;
padding:12px 18px;margin:0 0 22px;font-size:14px}
.howto h2{font-size:15px;margin:0 0 6px}
.howto ul{margin:0;padding-left:20px}
.howto li{margin:2px 0}
h2,h3,h4{line-height:1.25}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:20px 24px;margin:0 0 24px;
box-shadow:0 1px 2px rgba(0,0,0,.05)}
.summary h2{font-size:18px;margin:0 0 4px}
.counts{margin:0 0 12px;color:var(--muted);font-size:14px}
table{border-collapse:collapse;width:100%}
table.sum th,table.sum td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:middle}
table.sum th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
table.sum td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
table.sum a{color:var(--ink);font-weight:700}
table.sum td.num{width:1%}
.folder{display:block;color:var(--muted);font-size:12px;font-weight:400}
p.folder{margin:0 0 2px}
.vwords{display:block;font-size:13px;color:var(--muted);margin-top:2px}
.path{word-break:break-all;font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.92em}
.badge{display:inline-flex;align-items:center;gap:5px;border-radius:999px;padding:1px 10px 1px 8px;font-size:13px;
font-weight:700;border:1px solid currentColor;white-space:nowrap}
.v-flag{color:var(--flag);background:var(--flag-bg)}
.v-unsure{color:var(--unsure);background:var(--unsure-bg)}
.v-none{color:var(--none);background:var(--none-bg)}
.v-na{color:var(--na);background:var(--na-bg)}
.v-error{color:var(--error);background:var(--error-bg)}
section.file h2{font-size:20px;margin:0 0 2px;display:flex;gap:10px;align-items:baseline}
section.file h2 .idx{color:var(--muted);font-weight:400;font-size:16px}
.meta{color:var(--muted);font-size:13px;margin:0 0 16px}
.top{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:28px;align-items:start}
.top.noimage{grid-template-columns:minmax(0,1fr)}
.verdict{display:flex;gap:14px;align-items:center;border-radius:8px;padding:14px 18px;border:2px solid currentColor}
.verdict .sym{font-size:30px;line-height:1;font-weight:700;min-width:30px;text-align:center}
.verdict .tier{font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.08em}
.verdict .words{font-size:21px;font-weight:700;line-height:1.25}
.verdict .note{font-size:13px;font-weight:400;color:var(--ink);margin-top:3px}
.gen{margin:12px 0 0;padding:8px 12px;background:#f1ecfb;border-left:4px solid #6a3fb5;border-radius:4px}
.gen strong{color:#4b2a88}
.score{margin:14px 0 0}
svg.gauge{width:100%;max-width:520px;height:auto;display:block}
.explain{display:block;color:var(--muted);font-size:12.5px;font-weight:400;margin:2px 0 0}
p.explain{margin:4px 0 8px}
h3{font-size:16px;margin:22px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.top h3{margin-top:18px}
ol.reasons{margin:0;padding-left:22px}
ol.reasons li{margin:4px 0}
ol.reasons li:first-child{font-weight:600}
figure{margin:0}
.pic{position:relative;display:inline-block;max-width:100%;line-height:0;border:1px solid var(--line);
background:#8a8a8a}
.pic img.base{display:block;max-width:100%;height:auto}
.pic img.heat,.pic svg.regions{position:absolute;left:0;top:0;width:100%;height:100%}
.pic img.heat{opacity:.85}
.pic.blank{width:100%}
figcaption{font-size:13px;color:var(--muted);margin-top:6px}
figcaption strong{color:var(--ink)}
svg.legend{width:300px;max-width:100%;height:auto;display:block;margin-top:6px}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:10px}
.pair figcaption{margin-top:2px}
table.checks th,table.checks td{text-align:left;padding:9px 10px;border-bottom:1px solid var(--line);vertical-align:top}
table.checks thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
border-bottom:2px solid var(--line)}
table.checks td.check{width:30%}
table.checks td.res{width:14%;white-space:nowrap}
table.checks td.prob{width:16%;white-space:nowrap;font-variant-numeric:tabular-nums}
table.checks tr.na td{color:var(--muted);background:#fafafa}
table.checks tr.err td{background:#fcf3f3}
.code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:11.5px;color:var(--muted)}
.st{font-weight:700}
.st-applied{color:var(--ink)}
.st-na{color:var(--na)}
.st-error{color:var(--error)}
.decisive{display:inline-block;margin-top:3px;font-size:11.5px;font-weight:700;color:#fff;background:#333;
border-radius:3px;padding:0 6px}
svg.pbar{width:90px;height:10px;vertical-align:middle;margin-right:6px}
.nums{font-size:12px;color:var(--muted);margin-top:4px}
.err-msg{color:var(--error);font-weight:600}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:16px}
.gallery figcaption{line-height:1.35}
.keyframes img.facecrop{display:block;margin-top:6px;border-radius:4px}
.prov-block{margin:0 0 12px}
.prov-block h4{margin:8px 0 2px;font-size:14.5px}
table.kv{width:100%;font-size:13.5px}
table.kv th,table.kv td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #eee}
table.kv th{width:32%;font-weight:600}
table.kv table.kv{font-size:13px;background:#fafbfc}
table.kv.grid th{width:auto;font-size:12px;color:var(--muted);border-bottom:1px solid var(--line)}
ol.items{margin:0;padding-left:20px}
strong.ai{color:var(--flag)}
ul.caveats{margin:0;padding-left:20px}
ul.caveats li{margin:5px 0}
.muted{color:var(--muted)}
.omitted{font-size:13px;color:var(--muted);font-style:italic}
dl.glossary{display:grid;grid-template-columns:minmax(140px,220px) 1fr;gap:6px 18px;margin:0;font-size:14px}
dl.glossary dt{font-weight:700}
dl.glossary dd{margin:0}
footer.doc{color:var(--muted);font-size:12.5px;border-top:1px solid var(--line);padding-top:10px}
a.top-link{font-size:12.5px;color:var(--muted)}
@media (max-width:820px){.top{grid-template-columns:minmax(0,1fr)}.pair{grid-template-columns:minmax(0,1fr)}}
@media print{html{background:#fff}.card{box-shadow:none;break-inside:avoid-page}a.top-link{display:none}}
)CSS";
}

}  // namespace veritrace::report::detail
