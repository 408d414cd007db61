'use strict';
// The extension's popup in a tab beside tinder.com, the same way in Chromium and Firefox.

const { CheckError } = require('./util');

/**
 * Opens the popup in a background tab (tinder.com stays in front). `eval(fn, arg)` runs
 * `fn(arg)` in the popup and returns its result (JSON values only); `send(msg)` sends a
 * runtime message as the popup's own code would and returns the worker's answer.
 */
async function openPopup(driver, browser, chromeId) {
  let evaluate;
  if (browser === 'chromium') {
    const page = await driver.context.newPage();
    await page.goto(`chrome-extension://${chromeId}/popup.html`, { waitUntil: 'load', timeout: 15000 });
    await driver.page.bringToFront();
    evaluate = (fn, arg) => page.evaluate(fn, arg);
  } else {
    // WebDriver BiDi cannot open moz-extension:// pages itself: the browser window does.
    const { bidi } = driver;
    const tinder = (await bidi.send('browsingContext.getTree', {})).contexts[0].context;
    const ctx = await driver.openExtensionPage('popup.html');
    await bidi.send('browsingContext.activate', { context: tinder }).catch(() => {});
    evaluate = async (fn, arg) => {
      const r = await bidi.send('script.callFunction', {
        functionDeclaration: `(async (a) => JSON.stringify(await (${fn.toString()})(JSON.parse(a))))`,
        arguments: [{ type: 'string', value: JSON.stringify(arg === undefined ? null : arg) }],
        awaitPromise: true, target: { context: ctx }, resultOwnership: 'none',
      });
      if (r.type === 'exception') throw new CheckError(`popup script failed: ${JSON.stringify(r.exceptionDetails).slice(0, 300)}`);
      return r.result && r.result.type === 'string' ? JSON.parse(r.result.value) : undefined;
    };
  }
  return {
    eval: evaluate,
    async send(msg) {
      // `chrome.runtime` with a callback works in both browsers.
      const r = await evaluate((m) => new Promise((resolve) => {
        chrome.runtime.sendMessage(m, (answer) => resolve({ answer: answer === undefined ? null : answer, error: chrome.runtime.lastError ? chrome.runtime.lastError.message : null }));
      }), msg);
      if (!r || r.error || r.answer === null) throw new CheckError(`the extension did not answer ${JSON.stringify(msg)}: ${(r && r.error) || 'no answer'}`);
      return r.answer;
    },
  };
}

module.exports = { openPopup };
