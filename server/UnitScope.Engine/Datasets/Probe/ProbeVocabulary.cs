namespace UnitScope.Engine.Datasets.Probe;

/// <summary>
/// The probe set's concepts, numbered as its label.csv numbers them (category by category, in Broden's
/// category order: color, object, part, material, scene, texture). Every name is unique across categories,
/// so each concept has exactly one category.
/// </summary>
internal static class ProbeVocabulary
{
    public static readonly string[] Categories = ["color", "object", "part", "material", "scene", "texture"];

    /// <summary>Categories whose labels are per pixel (written as masks); scene is per image.</summary>
    public static readonly string[] PixelCategories = ["color", "object", "part", "material", "texture"];

    // color (Broden's 11 colour names)
    public const int Black = 1, Blue = 2, Brown = 3, Green = 4, Grey = 5, Orange = 6, Pink = 7, Purple = 8, Red = 9, White = 10, Yellow = 11;
    // object
    public const int Sky = 12, Road = 13, Floor = 14, Sea = 15, House = 16, Tree = 17, Car = 18, Person = 19,
        Ball = 20, Box = 21, Star = 22, Boat = 23, Fence = 24, Sun = 25, Cloud = 26;
    // part
    public const int Roof = 27, Wall = 28, Door = 29, Window = 30, Trunk = 31, Crown = 32, Body = 33, Wheel = 34,
        CarWindow = 35, Head = 36, Torso = 37, Arm = 38, Leg = 39, Hull = 40, Sail = 41, Mast = 42;
    // material
    public const int Brick = 43, Wood = 44, Grass = 45, Water = 46, Metal = 47, Sand = 48;
    // scene
    public const int Street = 49, ParkingLot = 50, Forest = 51, Garden = 52, Beach = 53, Playroom = 54;
    // texture
    public const int Striped = 55, Chequered = 56, Dotted = 57, Zigzagged = 58, Grid = 59, Noisy = 60;

    public const int MaxLabel = 60;

    /// <summary>(name, category) of label number i at index i − 1.</summary>
    public static readonly (string Name, string Category)[] Labels =
    [
        ("black", "color"), ("blue", "color"), ("brown", "color"), ("green", "color"), ("grey", "color"), ("orange", "color"),
        ("pink", "color"), ("purple", "color"), ("red", "color"), ("white", "color"), ("yellow", "color"),
        ("sky", "object"), ("road", "object"), ("floor", "object"), ("sea", "object"), ("house", "object"), ("tree", "object"),
        ("car", "object"), ("person", "object"), ("ball", "object"), ("box", "object"), ("star", "object"), ("boat", "object"),
        ("fence", "object"), ("sun", "object"), ("cloud", "object"),
        ("roof", "part"), ("wall", "part"), ("door", "part"), ("window", "part"), ("trunk", "part"), ("crown", "part"),
        ("body", "part"), ("wheel", "part"), ("car-window", "part"), ("head", "part"), ("torso", "part"), ("arm", "part"),
        ("leg", "part"), ("hull", "part"), ("sail", "part"), ("mast", "part"),
        ("brick", "material"), ("wood", "material"), ("grass", "material"), ("water", "material"), ("metal", "material"),
        ("sand", "material"),
        ("street", "scene"), ("parking-lot", "scene"), ("forest", "scene"), ("garden", "scene"), ("beach", "scene"),
        ("playroom", "scene"),
        ("striped", "texture"), ("chequered", "texture"), ("dotted", "texture"), ("zigzagged", "texture"), ("grid", "texture"),
        ("noisy", "texture"),
    ];

    public static string Name(int label) => Labels[label - 1].Name;

    public static string CategoryOf(int label) => Labels[label - 1].Category;

    /// <summary>The object a part belongs to (every part has one owner).</summary>
    public static int OwnerOf(int part) => part switch
    {
        Roof or Wall or Door or Window => House,
        Trunk or Crown => Tree,
        Body or Wheel or CarWindow => Car,
        Head or Torso or Arm or Leg => Person,
        Hull or Sail or Mast => Boat,
        _ => throw new ArgumentOutOfRangeException(nameof(part), part, "not a part label"),
    };

    public static readonly int[] Scenes = [Street, ParkingLot, Forest, Garden, Beach, Playroom];
    public static readonly int[] Textures = [Striped, Chequered, Dotted, Zigzagged, Grid, Noisy];
}
