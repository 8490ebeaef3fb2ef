// The route a request took, from its path, for `split.cjs` and the bench that reads its
// figures: one proxy serves every protocol. A Gemini model's two methods (`:generateContent`,
// `:streamGenerateContent`) are one route.
'use strict';
exports.routeKey = (url) => url.split('?')[0].replace(/:[A-Za-z]+$/, '');
