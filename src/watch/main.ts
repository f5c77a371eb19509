/**
 * Entry point of the relay's pages in a browser (bundled to dist/watch/watch.<hash>.js and
 * served by the relay under /assets): the channel list at / and the live, read-only watch
 * page at /watch/<channel>. What to show comes from the HTML shell's <body> data attributes.
 */
import { el } from '../panel/dom';
import { startIndexPage } from './index-page';
import { readPageData } from './page-data';
import { startWatchPage } from './watch-page';

const app = document.getElementById('app');
if (app) {
  const data = readPageData(document.body);
  if ('problem' in data) app.replaceChildren(el('p', { class: 'page-problem' }, data.problem));
  else if (data.page === 'index') startIndexPage(app, data);
  else startWatchPage(app, data);
}
