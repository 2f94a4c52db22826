using Spindle.Cli;

return await SpindleCli.RunAsync(CommandLineBytes.Recover(args), CliConsole.System()).ConfigureAwait(false);
