// Runs kinesalite (same arguments as its cli.js) so that a client which
// disconnects in the middle of a request does not kill the server:
// kinesalite rethrows request errors (`req.on('error', err => { throw err })`),
// and our tests SIGKILL agents and cancel proxied requests on purpose. The
// request that failed is gone either way; every other stream and request is
// unaffected, so the error is logged and the server keeps running.
process.on('uncaughtException', function(err) {
  console.error('kinesalite: survived an uncaught exception: ' + (err && err.stack || err))
})
require('kinesalite/cli.js')
