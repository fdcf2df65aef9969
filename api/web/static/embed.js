// Starts TimelineJS on the embed page with the API's timelinejs document.
// Fonts stay local (font: null) and the library's own files are looked for
// next to it in this server's fingerprinted assets (script_path).
(function () {
  'use strict';
  var el = document.getElementById('timeline-embed');
  if (!el || !window.TL || el.getAttribute('data-count') === '0') return;
  document.documentElement.className += ' js';
  var timeline = new TL.Timeline('timeline-embed', el.getAttribute('data-source'), {
    font: null,
    script_path: el.getAttribute('data-script-path'),
    hash_bookmark: false
  });
  timeline.on('ready', function () { document.body.setAttribute('data-timelinejs', 'ready'); });
})();
