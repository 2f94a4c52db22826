// One redis-server (without persistence) for every test class of this assembly; outage tests start their own.
[assembly: AssemblyFixture(typeof(Spindle.Testing.RedisServer))]
