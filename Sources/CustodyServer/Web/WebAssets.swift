/// The pages' only stylesheet and script, served from `/web/static` so the Content-Security-Policy can forbid
/// every inline script and style. The pages work without the script; it only says when newer facts exist.
enum WebAssets {
    static let css = """
        :root { color-scheme: light; --ink: #1a1a1a; --muted: #4a4a4a; --line: #c8ccd2; --accent: #1f3f8f; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #ffffff; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus { outline: 3px solid #f0b400; outline-offset: 2px; }
        .skip { position: absolute; left: -10000px; }
        .skip:focus { left: 8px; top: 8px; background: #ffffff; padding: 4px 8px; z-index: 1; }
        header { background: #1f2a44; color: #ffffff; padding: 8px 16px; }
        header nav { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
        header a { color: #ffffff; }
        header .brand { font-weight: 700; text-decoration: none; }
        header .who { margin-left: auto; }
        header form { margin: 0; }
        main { padding: 16px; max-width: 1280px; }
        footer { padding: 8px 16px; color: var(--muted); border-top: 1px solid var(--line); font-size: 13px; }
        h1 small { font-weight: 400; color: var(--muted); font-size: 60%; }
        .notice { background: #fff4cc; border: 1px solid #7a4d00; padding: 6px 12px; margin: 8px 16px; }
        .clocks { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; padding: 8px 0 12px; border-bottom: 1px solid var(--line); }
        .clocks .help, .sign-in .help { flex-basis: 100%; margin: 0; color: var(--muted); font-size: 13px; }
        dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
        dl.summary dt { font-weight: 600; }
        dl.summary dd { margin: 0; }
        ul.counts, nav.filter ul { list-style: none; padding: 0; margin: 0; display: flex; gap: 12px; flex-wrap: wrap; }
        nav.filter { margin: 8px 0; }
        nav.filter a[aria-current] { font-weight: 700; text-decoration: none; color: var(--ink); }
        table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
        caption { text-align: left; color: var(--muted); padding: 4px 0; }
        th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
        th[aria-sort] a { color: var(--ink); }
        .status { display: inline-block; padding: 0 6px; border: 1px solid; border-radius: 3px; }
        .status-confirmed { background: #f9d3d3; border-color: #9b1c1c; }
        .status-investigating { background: #fde7b0; border-color: #7a4d00; }
        .status-inconclusive { background: #e8dcf5; border-color: #5b2a86; }
        .status-potential { background: #dde6f3; border-color: #2f4a70; }
        .status-cleared { background: #d4eed9; border-color: #1d6b2c; }
        .none { color: var(--muted); }
        figure { margin: 8px 0; overflow-x: auto; }
        figcaption { color: var(--muted); font-size: 13px; }
        .sign-in { display: flex; flex-direction: column; gap: 8px; max-width: 560px; }
        button { font: inherit; padding: 4px 12px; }
        """

    static let javascript = """
        // Progressive enhancement only: every page works without it. Says when the log has moved past the
        // version this page shows, by asking /web/version every few seconds.
        (function () {
          var shown = document.body.getAttribute("data-version");
          var url = document.body.getAttribute("data-version-url");
          var notice = document.getElementById("fresh");
          if (!shown || !url || !notice || !window.fetch) { return; }
          function check() {
            fetch(url, { credentials: "same-origin", cache: "no-store" })
              .then(function (response) { return response.ok ? response.json() : null; })
              .then(function (body) { if (body && body.version !== shown) { notice.hidden = false; } })
              .catch(function () {});
          }
          window.setInterval(check, 3000);
        })();
        """
}
