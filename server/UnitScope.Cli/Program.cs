using UnitScope.Cli;

return await CliApp.RunAsync(args, CliContext.ForProcess(), handleTermination: true);
