import type { DisplayStatus } from './useSwitchboard';

/** Coloured pill whose text is exactly the status (none/connecting/connected/reconnecting/closed). */
export function StatusPill({ status, testId }: { status: DisplayStatus; testId?: string }) {
  return (
    <span className={`pill pill-${status}`} data-testid={testId} role="status" aria-live="polite">
      {status}
    </span>
  );
}
