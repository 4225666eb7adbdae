import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, preloadChat } from './App.js';
import { boot } from './store/actions/startup.js';
import './styles/app.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void boot();
preloadChat();
