using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using HfDiff.Torch.Evaluation;
using HfDiff.Torch.Imaging;

namespace HfDiff.Reports;

/// <summary>
/// <c>report.html</c> of an evaluation folder: opens from disk in any browser, no server and no network. It holds the
/// comparison and timing tables, box plots of every metric, per-image deltas against a baseline model (charts as
/// embedded ScottPlot PNGs), and a side-by-side viewer of the SR images (LR / each model / GT) with one crop window and
/// zoom shared by all panels. Images are referenced by relative paths inside the folder (GT and LR files are copied in).
/// </summary>
public static class EvalReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Write(string outputFolder, EvalResults r, string? baselineModel = null)
    {
        string output = Path.GetFullPath(outputFolder);
        var baseline = baselineModel ?? r.Models.FirstOrDefault(m => m.Name.Equals("bicubic", StringComparison.OrdinalIgnoreCase))?.Name ?? r.Models.FirstOrDefault()?.Name;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>HfDiff evaluation</title>\n<style>\n").Append(Css).Append("</style></head><body>\n");
        sb.Append("<h1>SR evaluation</h1>\n<p class=\"note\">Generated ").Append(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", Inv))
          .Append(" by hfdiff eval. PSNR/SSIM on Y of YCbCr; best in <b>bold</b>, second <u>underlined</u>.</p>\n");
        sb.Append("<h2>Models</h2>\n<ul>");
        foreach (var m in r.Models) sb.Append($"<li><b>{H(m.Name)}</b>: {H(m.Description)}</li>");
        sb.Append("</ul>\n<h2>Results</h2>\n").Append(MainTable(r));
        if (r.Skipped.Count > 0)
        {
            sb.Append("<h3>Metrics not computed</h3><ul class=\"skips\">");
            foreach (var s in r.Skipped) sb.Append($"<li>{H(s.Metric)}{(s.Dataset is null ? "" : " on " + H(s.Dataset))}: {H(s.Reason)}</li>");
            sb.Append("</ul>\n");
        }
        if (r.Failures.Count > 0)
        {
            sb.Append("<h3>Failed images</h3><ul class=\"skips\">");
            foreach (var f in r.Failures) sb.Append($"<li>{H(f.Dataset)}/{H(f.Model)}/{H(f.Image)}: {H(f.Message)}</li>");
            sb.Append("</ul>\n");
        }
        sb.Append("<h2>Inference time</h2>\n").Append(TimingTable(r));
        sb.Append("<h2>Distributions</h2>\n").Append(Charts(output, r, baseline));
        sb.Append("<h2>Visual comparison</h2>\n").Append(Viewer(output, r));
        sb.Append("<script>\n").Append(Script).Append("</script>\n</body></html>\n");
        var path = Path.Combine(output, "report.html");
        AtomicFile.WriteAllText(path, sb.ToString());
        return path;
    }

    static string H(string s) => WebUtility.HtmlEncode(s);

    static string MainTable(EvalResults r)
    {
        var cols = EvalTables.Columns(r);
        if (cols.Count == 0) return "<p>No scores.</p>\n";
        var sb = new StringBuilder("<table class=\"results\"><thead><tr><th rowspan=\"2\">Model</th>");
        foreach (var g in cols.GroupBy(c => c.Dataset.Name)) sb.Append($"<th colspan=\"{g.Count()}\">{H(g.Key)}</th>");
        sb.Append("</tr><tr>");
        foreach (var c in cols) sb.Append($"<th>{H(c.Metric.Name.ToUpperInvariant())}{EvalTables.Arrow(c.Metric)}</th>");
        sb.Append("</tr></thead><tbody>");
        var ranks = cols.Select(c => EvalTables.Ranks(r, c.Dataset.Name, c.Metric)).ToList();
        foreach (var m in r.Models)
        {
            sb.Append($"<tr><td>{H(m.Name)}</td>");
            for (int i = 0; i < cols.Count; i++)
            {
                var v = r.Mean(m.Name, cols[i].Dataset.Name, cols[i].Metric.Name);
                if (v is null) { sb.Append("<td>–</td>"); continue; }
                string s = EvalTables.Format(cols[i].Metric.Name, v.Mean);
                int rank = ranks[i][m.Name];
                string cell = rank == 0 && r.Models.Count > 1 ? $"<b>{s}</b>" : rank == 1 ? $"<u>{s}</u>" : s;
                sb.Append($"<td title=\"{v.Count} images\">{cell}</td>");
            }
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>\n").ToString();
    }

    static string TimingTable(EvalResults r)
    {
        if (r.Timing.Count == 0) return "<p>No timing (no model computes its outputs here, or timing was off).</p>\n";
        var sb = new StringBuilder("<table><thead><tr><th>Model</th><th>Steps</th><th># Params (M)</th><th>Time / image (s)</th><th>Peak RSS (GB)</th><th>Device</th><th>Input</th></tr></thead><tbody>");
        foreach (var t in r.Timing)
            sb.Append($"<tr><td>{H(t.Model)}</td><td>{t.Steps?.ToString(Inv) ?? "–"}</td><td>{(t.Parameters is long p ? (p / 1e6).ToString("F2", Inv) : "–")}</td>" +
                      $"<td>{t.MedianSeconds.ToString("F3", Inv)} <span class=\"note\">(min {t.MinSeconds.ToString("F3", Inv)}, max {t.MaxSeconds.ToString("F3", Inv)}, {t.Runs} runs)</span></td>" +
                      $"<td>{(t.PeakRssGb is double g ? g.ToString("F2", Inv) : "–")}</td><td>{H(t.Device)}</td><td>{t.LrSize}² → {t.LrSize * t.Scale}²</td></tr>");
        return sb.Append("</tbody></table>\n<p class=\"note\">Median after one warm-up run on a seeded random LR image; machine load not controlled.</p>\n").ToString();
    }

    static string Img(byte[] png, string alt) => $"<img class=\"chart\" alt=\"{H(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">";

    static string Charts(string output, EvalResults r, string? baseline)
    {
        var sb = new StringBuilder("<div class=\"charts\">");
        foreach (var d in r.Datasets)
        {
            var tables = r.Models.ToDictionary(m => m.Name, m => EvalRunner.LoadScores(output, d.Name, m.Name));
            foreach (var metric in r.Metrics)
            {
                var series = r.Models.Select(m => (m.Name, (IReadOnlyList<double>)tables[m.Name].Values(metric.Name).ToList())).Where(s => s.Item2.Count > 0).ToList();
                if (series.Count == 0) continue;
                sb.Append(Img(EvalCharts.Distribution($"{d.Name}: {metric.Name}", metric.Name, metric.LowerIsBetter, series), $"{d.Name} {metric.Name} distribution"));
                if (baseline is null) continue;
                foreach (var m in r.Models.Where(m => m.Name != baseline))
                {
                    var images = tables[m.Name].Images.Where(i => i.Length > 0 && tables[m.Name].TryGet(i, metric.Name, out _) && tables[baseline].TryGet(i, metric.Name, out _))
                        .Order(StringComparer.Ordinal).ToList();
                    if (images.Count == 0) continue;
                    var deltas = images.Select(i => { tables[m.Name].TryGet(i, metric.Name, out var a); tables[baseline].TryGet(i, metric.Name, out var b); return a - b; }).ToList();
                    sb.Append(Img(EvalCharts.Deltas($"{d.Name}: {metric.Name}, {m.Name} − {baseline} per image", metric.Name, images, deltas), $"{d.Name} {metric.Name} deltas {m.Name}"));
                }
            }
        }
        return sb.Append("</div>\n").ToString();
    }

    /// <summary>The side-by-side viewer: data as JSON (relative image paths), drawn by the script.</summary>
    static string Viewer(string output, EvalResults r)
    {
        var sets = new List<object>();
        foreach (var d in r.Datasets)
        {
            var images = new List<object>();
            var stems = r.Models.SelectMany(m => EvalRunner.LoadScores(output, d.Name, m.Name).Images).Where(i => i.Length > 0).Distinct().Order(StringComparer.Ordinal);
            foreach (var stem in stems)
            {
                var panels = new List<object>();
                var lr = CopyIn(output, "lr", d.Name, d.LrDir, stem);
                if (lr is not null) panels.Add(new { label = "LR", src = lr, lr = true });
                foreach (var m in r.Models)
                {
                    var sr = EvalRunner.FindImage(EvalRunner.SrFolder(output, d.Name, m.Name), stem);
                    if (sr is not null) panels.Add(new { label = m.Name, src = Rel(output, sr), lr = false });
                }
                var gt = d.GtDir is null ? null : CopyIn(output, "gt", d.Name, d.GtDir, stem);
                if (gt is not null) panels.Add(new { label = "GT", src = gt, lr = false });
                images.Add(new { name = stem, panels });
            }
            sets.Add(new { name = d.Name, images });
        }
        var json = JsonSerializer.Serialize(sets).Replace("</", "<\\/");
        return "<div id=\"viewer\"><div class=\"controls\">Dataset <select id=\"set\"></select> Image <select id=\"image\"></select> " +
               "Zoom <input id=\"zoom\" type=\"range\" min=\"1\" max=\"8\" step=\"1\" value=\"2\"> <span id=\"zoomval\"></span> " +
               "<span class=\"note\">Click an overview to move the crop window; drag a panel to pan.</span></div>" +
               "<div id=\"overview\"></div><div id=\"panels\"></div></div>\n<script id=\"viewer-data\" type=\"application/json\">" + json + "</script>\n";
    }

    static string Rel(string output, string path) => Path.GetRelativePath(output, path).Replace('\\', '/');

    /// <summary>Copies an LR/GT file into the report folder (so the report is self-contained) and returns its relative path.</summary>
    static string? CopyIn(string output, string kind, string dataset, string dir, string stem)
    {
        var src = EvalRunner.FindImage(dir, stem) ?? FindByPrefix(dir, stem);
        if (src is null) return null;
        var dst = Path.Combine(output, kind, dataset, Path.GetFileName(src));
        if (!File.Exists(dst))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
            AtomicFile.WriteAllBytes(dst, File.ReadAllBytes(src));
        }
        return Rel(output, dst);
    }

    static string? FindByPrefix(string dir, string stem)
    {
        // RealSR-style GT names (X_HR for X_LR4)
        if (stem.EndsWith("_LR4", StringComparison.Ordinal)) return EvalRunner.FindImage(dir, stem[..^4] + "_HR");
        return null;
    }

    const string Css = """
        body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
        table { border-collapse: collapse; margin: 8px 0; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        .note { color: #666; font-size: 90%; }
        .charts img.chart { width: 480px; margin: 4px; border: 1px solid #eee; }
        #panels { display: flex; flex-wrap: wrap; gap: 8px; }
        .panel { display: flex; flex-direction: column; align-items: center; }
        .crop { width: 256px; height: 256px; overflow: hidden; position: relative; border: 1px solid #999; cursor: grab; background: #000; }
        .crop img { position: absolute; left: 0; top: 0; image-rendering: pixelated; transform-origin: 0 0; }
        #overview img { max-width: 256px; max-height: 256px; cursor: crosshair; margin: 4px; }
        #overview { position: relative; display: inline-block; }
        .controls { margin: 8px 0; }
        """;

    const string Script = """
        (function () {
          var data = JSON.parse(document.getElementById('viewer-data').textContent);
          var setSel = document.getElementById('set'), imgSel = document.getElementById('image');
          var zoom = document.getElementById('zoom'), zoomVal = document.getElementById('zoomval');
          var panelsDiv = document.getElementById('panels'), overview = document.getElementById('overview');
          var center = { x: 0.5, y: 0.5 }, current = null;
          function option(sel, value, text) { var o = document.createElement('option'); o.value = value; o.textContent = text; sel.appendChild(o); }
          data.forEach(function (s, i) { option(setSel, i, s.name); });
          function fillImages() {
            imgSel.innerHTML = '';
            var s = data[+setSel.value];
            if (!s) return;
            s.images.forEach(function (im, i) { option(imgSel, i, im.name); });
            show();
          }
          function layout() {
            var z = +zoom.value; zoomVal.textContent = z + '\u00d7';
            panelsDiv.querySelectorAll('.crop img').forEach(function (img) {
              if (!img.naturalWidth) return;
              var scale = z * (img.dataset.lr === 'true' ? +img.dataset.factor : 1);
              var w = img.naturalWidth * scale, h = img.naturalHeight * scale;
              var left = 128 - center.x * w, top = 128 - center.y * h;
              img.style.width = w + 'px'; img.style.height = h + 'px';
              img.style.left = left + 'px'; img.style.top = top + 'px';
            });
          }
          function show() {
            var s = data[+setSel.value]; current = s ? s.images[+imgSel.value] : null;
            panelsDiv.innerHTML = ''; overview.innerHTML = '';
            if (!current) return;
            var big = current.panels.find(function (p) { return !p.lr; }) || current.panels[0];
            var ov = document.createElement('img'); ov.src = big.src; ov.alt = 'overview';
            ov.addEventListener('click', function (e) {
              var r = ov.getBoundingClientRect(); center = { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height }; layout();
            });
            overview.appendChild(ov);
            current.panels.forEach(function (p) {
              var box = document.createElement('div'); box.className = 'panel';
              var crop = document.createElement('div'); crop.className = 'crop';
              var img = document.createElement('img'); img.src = p.src; img.alt = p.label; img.dataset.lr = p.lr ? 'true' : 'false'; img.dataset.factor = '1';
              img.addEventListener('load', function () {
                if (p.lr) { var ref = panelsDiv.querySelector('img[data-lr="false"]'); if (ref && ref.naturalWidth) img.dataset.factor = String(ref.naturalWidth / img.naturalWidth); }
                layout();
              });
              crop.appendChild(img);
              var drag = null;
              crop.addEventListener('mousedown', function (e) { drag = { x: e.clientX, y: e.clientY, c: { x: center.x, y: center.y } }; e.preventDefault(); });
              window.addEventListener('mouseup', function () { drag = null; });
              crop.addEventListener('mousemove', function (e) {
                if (!drag || !img.naturalWidth) return;
                var w = parseFloat(img.style.width), h = parseFloat(img.style.height);
                center = { x: drag.c.x - (e.clientX - drag.x) / w, y: drag.c.y - (e.clientY - drag.y) / h }; layout();
              });
              var label = document.createElement('div'); label.textContent = p.label;
              box.appendChild(crop); box.appendChild(label); panelsDiv.appendChild(box);
            });
            layout();
          }
          setSel.addEventListener('change', fillImages); imgSel.addEventListener('change', show); zoom.addEventListener('input', layout);
          fillImages();
        })();
        """;
}
