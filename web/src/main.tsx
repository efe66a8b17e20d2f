// web/src/main.tsx — mounts the app, once the session cookie is set when a token is stored (images and
// progress streams need it); a wrong or missing token shows the app's token prompt.
import './zod-jitless.js'; // first: before any module builds a zod schema
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startSession } from './api.js';
import { App } from './app.js';
import './styles.css';

const root = document.getElementById('root');
// A 401 here comes again from the app's first request, which then asks for the token.
void startSession()
  .catch(() => {})
  .then(() => {
    if (!root) return;
    createRoot(root).render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
  });
