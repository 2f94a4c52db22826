// One PostgreSQL cluster for every test class of this assembly; the outage tests freeze it (OutageGroup).
[assembly: AssemblyFixture(typeof(Spindle.Testing.PostgresServer))]
