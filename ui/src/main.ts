import '@digdir/designsystemet-css';
// Budbringer's own theme, generated from src/theme/designsystemet.config.json by
// Designsystemet's CLI (npm run theme): not Digdir's default theme.
import './theme/build/budbringer.css';
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';

const app = mount(App, { target: document.getElementById('app')! });
export default app;
