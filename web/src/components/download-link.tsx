// web/src/components/download-link.tsx — a download link that asks the server first: a file that is gone
// shows the server's error on the page instead of its JSON replacing the tab (marked as a read's failure: no banner
// once the user went on to another page, shown-page.ts).
import type { MouseEvent, ReactNode } from 'react';
import { checkDownload } from '../api.js';
import { readFailureReport } from './shown-page.js';

export function DownloadLink({
  href,
  className,
  onError,
  children,
}: {
  href: string;
  className?: string;
  onError: (error: unknown) => void;
  children: ReactNode;
}) {
  const click = (event: MouseEvent) => {
    event.preventDefault();
    checkDownload(href).then(() => {
      // the server sends the file as an attachment: the page stays
      const link = document.createElement('a');
      link.href = href;
      link.download = '';
      link.click();
    }, readFailureReport(onError));
  };
  return (
    <a className={className} href={href} download onClick={click}>
      {children}
    </a>
  );
}
