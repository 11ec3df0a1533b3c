/**
 * Everything lives in a shadow root: page rules cannot reach in and these cannot leak out.
 * `:host` resets what the page could set on the host element or pass down by inheritance
 * (`all: initial`); `!important` there beats even the page's `!important` (for important
 * declarations the shadow context wins). Base typography sits on `.wrap`, inside.
 */
export function css(color: string): string {
  return `
:host{all:initial!important;display:block!important;position:fixed!important;z-index:2147483000!important;inset:auto 0 0 auto!important;width:0!important;height:0!important;visibility:visible!important;opacity:1!important;transform:none!important;filter:none!important;contain:none!important}
.wrap{--papo-accent:${color};font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;text-align:left;direction:ltr;letter-spacing:normal;word-spacing:normal;text-transform:none}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
button,textarea,input{font:inherit;color:inherit}
.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
:focus-visible{outline:3px solid #1c7ed6;outline-offset:2px}
.bubble{position:fixed;right:20px;bottom:20px;width:58px;height:58px;border-radius:50%;border:0;background:var(--papo-accent);color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}
.bubble svg{width:28px;height:28px;fill:currentColor}
.panel{position:fixed;right:20px;bottom:90px;width:380px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 120px);background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.28);display:flex;flex-direction:column;overflow:hidden}
.panel[hidden]{display:none}
header{display:flex;align-items:center;gap:8px;padding:12px 12px 12px 16px;background:var(--papo-accent);color:#fff}
header h2{flex:1;margin:0;font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
header button{background:transparent;border:1px solid rgba(255,255,255,.6);color:#fff;border-radius:8px;padding:4px 10px;cursor:pointer;font-size:13px}
header button.x{border:0;font-size:22px;line-height:1;padding:2px 8px}
.log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:14px;display:flex;flex-direction:column;gap:10px;background:#f6f7f9}
.msg{max-width:85%;padding:9px 12px;border-radius:12px;word-wrap:break-word;overflow-wrap:anywhere}
.msg.assistant{align-self:flex-start;background:#fff;border:1px solid #dfe3e8}
.msg.user{align-self:flex-end;background:var(--papo-accent);color:#fff}
.msg.failed{border-color:#e03131}
.msg p{margin:0 0 6px}.msg p:last-child{margin-bottom:0}
.msg ul,.msg ol{margin:4px 0;padding-left:20px}
.msg pre{background:#f1f3f5;color:#1f2328;padding:8px;border-radius:6px;overflow-x:auto;margin:6px 0;font-size:13px}
.msg code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
.msg :not(pre)>code{background:rgba(127,127,127,.15);padding:1px 4px;border-radius:4px}
.msg blockquote{margin:4px 0;padding-left:10px;border-left:3px solid #ced4da}
.msg a{color:#1864ab}.msg.user a{color:#fff}
.files{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.chip{display:inline-flex;align-items:center;gap:4px;max-width:100%;border:1px solid #ced4da;background:#fff;color:#1f2328;border-radius:999px;padding:2px 10px;font-size:13px;cursor:pointer;text-decoration:none}
.chip span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:180px}
.status{padding:0 14px;font-size:13px;color:#495057;min-height:0}
.status:not(:empty){padding:6px 14px}
.status.err{color:#c92a2a}
form.compose{display:flex;flex-direction:column;gap:6px;padding:10px;border-top:1px solid #dfe3e8;background:#fff}
.note{margin:0;padding:8px 10px;border-radius:8px;background:#fff4e6;color:#7a3300;font-size:14px}
.icon:has(input:disabled){opacity:.5;cursor:default}
.pending{display:flex;flex-wrap:wrap;gap:6px}
.row{display:flex;align-items:flex-end;gap:6px}
textarea{flex:1;resize:none;min-height:42px;max-height:140px;padding:10px;border:1px solid #adb5bd;border-radius:10px;background:#fff}
textarea:disabled{background:#f1f3f5}
.icon{flex:none;width:42px;height:42px;border-radius:10px;border:1px solid #adb5bd;background:#fff;cursor:pointer;display:flex;align-items:center;justify-content:center}
.icon:focus-within{outline:3px solid #1c7ed6;outline-offset:2px}
.icon svg{width:20px;height:20px;fill:#495057}
.send{background:var(--papo-accent);border-color:var(--papo-accent)}
.send svg{fill:#fff}
button:disabled{opacity:.5;cursor:default}
.end{padding:14px;border-top:1px solid #dfe3e8;background:#fff;display:flex;flex-direction:column;gap:10px}
.end p{margin:0}
fieldset{border:0;margin:0;padding:0}
legend{padding:0;margin-bottom:8px;font-weight:600}
.scale{display:grid;grid-template-columns:repeat(11,1fr);gap:3px}
.scale label{position:relative}
.scale input{position:absolute;opacity:0;inset:0;margin:0;cursor:pointer}
.scale span{display:block;text-align:center;padding:7px 0;border:1px solid #adb5bd;border-radius:6px;font-size:13px}
.scale input:checked+span{background:var(--papo-accent);border-color:var(--papo-accent);color:#fff}
.scale input:focus-visible+span{outline:3px solid #1c7ed6;outline-offset:1px}
.ends{display:flex;justify-content:space-between;font-size:12px;color:#495057;margin-top:4px}
.end textarea{min-height:60px;width:100%}
.primary,.secondary{align-self:flex-start;background:var(--papo-accent);color:#fff;border:1px solid var(--papo-accent);border-radius:8px;padding:8px 14px;cursor:pointer}
.secondary{background:#fff;color:var(--papo-accent)}
@media (max-width:480px){.panel{inset:0;right:0;bottom:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0}.open .bubble{display:none}header{padding-top:max(12px,env(safe-area-inset-top))}form.compose,.end{padding-bottom:max(10px,env(safe-area-inset-bottom))}textarea{font-size:16px}}
`;
}
