-- wrk script for bench/http/run.sh: every request is POST / with an empty body, which the kv-counter answers by
-- reading "count" from the default store, adding one and writing it back.
wrk.method = "POST"
wrk.path = "/"
wrk.body = ""
