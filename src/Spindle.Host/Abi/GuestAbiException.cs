namespace Spindle.Host.Abi;

/// <summary>
/// The guest broke the ABI (a pointer or length outside its memory, a string that is not UTF-8, an invalid option
/// discriminant). Thrown inside a host call it traps that instance only.
/// </summary>
internal sealed class GuestAbiException(string message) : Exception(message);
