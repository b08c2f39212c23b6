// Runs kinesalite (same arguments as its cli.js) with three test-harness shims.
//
// 1. A client which disconnects in the middle of a request does not kill the
// server: kinesalite rethrows request errors (`req.on('error', err => { throw
// err })`), and our tests SIGKILL agents and cancel proxied requests on
// purpose. The request that failed is gone either way; every other stream and
// request is unaffected, so the error is logged and the server keeps running.
process.on('uncaughtException', function(err) {
  console.error('kinesalite: survived an uncaught exception: ' + (err && err.stack || err))
})

// 2. PutRecord(s) in CBOR (application/x-amz-cbor-1.1, the Java SDK's and the
// agent's default) keep their data. Decoded from CBOR, a record's Data is a
// Buffer; kinesalite stores records JSON-encoded, and GetRecords then answers
// {"type":"Buffer","data":[...]} instead of the base64 of the bytes. Stored as
// base64 text, as a JSON put stores it, the data reads back byte for byte in
// either protocol. (Stock kinesalite keeps this bug: docs/COMPATIBILITY.md.)
function keepCBORData(name, records) {
  var path = require.resolve('kinesalite/actions/' + name)
  var orig = require(path)
  require.cache[path].exports = function(store, data, cb) {
    records(data).forEach(function(r) {
      if (r && Buffer.isBuffer(r.Data)) r.Data = r.Data.toString('base64')
    })
    return orig(store, data, cb)
  }
}
keepCBORData('putRecords', function(data) { return data.Records || [] })
keepCBORData('putRecord', function(data) { return [data] })

// 3. CBOR answers are whole. kinesalite encodes them with the cbor package's
// Encoder.encodeOne, which returns what fits its stream's 16 KiB high-water
// mark and drops the rest: a PutRecords answer for more than ~150 records
// was cut short (the agent's decoder refused it at offset 16408).
var cbor = require('cbor')
var encodeOne = cbor.Encoder.encodeOne
cbor.Encoder.encodeOne = function(obj, options) {
  return encodeOne.call(this, obj, Object.assign({highWaterMark: 64 << 20}, options))
}

require('kinesalite/cli.js')
