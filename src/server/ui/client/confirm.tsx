/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The only way an action leaves the page: a modal dialog that says exactly what will
 * happen, with Cancel focused first (Enter or Escape on arrival does nothing harmful), and
 * the request sent only after the confirm button is pressed.
 */
import { useEffect, useRef, useState } from "preact/hooks";

export interface ConfirmRequest {
  title: string;
  body: string;
  /** The confirm button's label (a verb: "Roll back", "Destroy"). */
  action: string;
  run: () => Promise<string>;
}

export function ConfirmDialog(p: { request: ConfirmRequest | null; onClose: () => void; onDone: (kind: "ok" | "error", text: string) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (p.request && !d.open) {
      d.showModal();
      cancelRef.current?.focus();
    } else if (!p.request && d.open) d.close();
  }, [p.request]);
  const confirm = async () => {
    if (!p.request || busy) return;
    setBusy(true);
    try {
      p.onDone("ok", await p.request.run());
    } catch (err) {
      p.onDone("error", (err as Error).message);
    } finally {
      setBusy(false);
      p.onClose();
    }
  };
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-body" onClose={p.onClose} data-testid="confirm">
      <h2 id="confirm-title">{p.request?.title}</h2>
      <p id="confirm-body">{p.request?.body}</p>
      <div class="confirm-buttons">
        <button type="button" ref={cancelRef} onClick={p.onClose} disabled={busy}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={confirm} disabled={busy} data-testid="confirm-action">
          {busy ? "Working…" : p.request?.action}
        </button>
      </div>
    </dialog>
  );
}
