using static UnitScope.Engine.Datasets.Probe.ProbeVocabulary;

namespace UnitScope.Engine.Datasets.Probe;

/// <summary>
/// Composes one random scene of a given kind. Scenes are told apart by what is in them, not by a colour:
/// <list type="bullet">
/// <item>street: sky, 1–3 houses along a pavement, a road with lane markings, 1–3 cars, sometimes people.</item>
/// <item>parking-lot: little or no sky, asphalt with bay lines, 3–7 cars parked in rows, no houses.</item>
/// <item>forest: grass, 5–9 overlapping trees (round and pine), thin or no sky.</item>
/// <item>garden: sky, grass, 1–2 trees, a fence and/or a house behind it, balls, people, crates.</item>
/// <item>beach: sky, sea with 1–3 sailing boats (mostly), sand with people, beach balls, starfish.</item>
/// <item>playroom: a patterned wall and floor (textures, wood), toys (balls, boxes, stars, toy cars).</item>
/// </list>
/// Colours, fills (plain, material, texture), positions, sizes and overlaps vary within every scene.
/// Coordinates are units of the image side, y down; <c>px</c> is one image pixel in those units (patterns
/// keep their thin lines at least one pixel wide).
/// </summary>
internal sealed class ProbeSceneBuilder(ProbeRandom rng, double px)
{
    static readonly int[] AllColors = [Black, Blue, Brown, Green, Grey, Orange, Pink, Purple, Red, White, Yellow];
    static readonly int[] BrightColors = [Blue, Green, Orange, Pink, Purple, Red, White, Yellow];
    static readonly int[] SkinColors = [Pink, Brown, Orange];
    static readonly int[] SkyColors = [Blue, Blue, Blue, Blue, Blue, Blue, Grey, Grey, White, Orange, Pink];
    static readonly int[] ToyTextures = [Striped, Chequered, Dotted, Zigzagged, Grid, Noisy];

    public ProbeScene Build(int scene) => scene switch
    {
        Street => BuildStreet(),
        ParkingLot => BuildParkingLot(),
        ProbeVocabulary.Forest => BuildForest(),
        ProbeVocabulary.Garden => BuildGarden(),
        Beach => BuildBeach(),
        Playroom => BuildPlayroom(),
        _ => throw new ArgumentOutOfRangeException(nameof(scene), scene, "not a scene label"),
    };

    // ---- scenes ----------------------------------------------------------------------------------------

    ProbeScene BuildStreet()
    {
        var s = new ProbeScene(Street);
        double horizon = rng.Range(0.28, 0.45);
        AddSky(s, horizon, sun: 0.2, clouds: 2);
        double roadTop = horizon + rng.Range(0.1, 0.2);
        s.Add(new SceneObject(0, -9).Add(new RectShape(0, horizon, 1, roadTop + 0.01), Pavement()));
        AddRoad(s, roadTop);
        int houses = rng.Int(1, 4);
        foreach (double x in Spread(houses, -0.1, 0.95))
        {
            double w = rng.Range(0.22, 0.4);
            s.Add(House(x, roadTop - rng.Range(0, 0.03), w, w * rng.Range(0.7, 1.0)));
        }
        if (rng.Chance(0.25))
            s.Add(Tree(rng.Range(0, 1), roadTop - 0.01, rng.Range(0.2, 0.32)));
        int cars = rng.Int(1, 4);
        foreach (double x in Spread(cars, -0.15, 0.85))
            s.Add(Car(x, rng.Range(roadTop + 0.14, 0.99), rng.Range(0.26, 0.42)));
        for (int i = rng.Chance(0.45) ? rng.Int(1, 3) : 0; i > 0; i--)
            s.Add(Person(rng.Range(0.05, 0.95), rng.Range(roadTop, 0.99), rng.Range(0.2, 0.34)));
        if (rng.Chance(0.1))
            s.Add(Ball(rng.Range(0.1, 0.9), rng.Range(roadTop + 0.05, 0.95), rng.Range(0.03, 0.05)));
        return s;
    }

    ProbeScene BuildParkingLot()
    {
        var s = new ProbeScene(ParkingLot);
        double horizon = rng.Chance(0.3) ? 0 : rng.Range(0.08, 0.25);
        if (horizon > 0)
            AddSky(s, horizon, sun: 0.1, clouds: 1);
        var lot = new SceneObject(Road, -9);
        lot.Add(new RectShape(0, horizon, 1, 1), Asphalt());
        var line = Solid(rng.Pick(new[] { White, Yellow, White }));
        double bay = rng.Range(0.24, 0.32);
        double rowGap = rng.Range(0.3, 0.4);
        var rows = new List<double>();
        for (double baseY = rng.Range(horizon + 0.3, horizon + 0.4); baseY < 1.08; baseY += rowGap)
            rows.Add(baseY);
        double offset = rng.Range(-bay, 0);
        foreach (double baseY in rows)
            for (double x = offset; x < 1 + bay; x += bay)
                lot.Add(new RectShape(x, baseY - 0.24, x + Math.Max(0.012, 1.6 * px), baseY + 0.02), line);
        s.Add(lot);
        if (horizon > 0 && rng.Chance(0.3))
            s.Add(Fence(-0.05, 1.05, horizon + 0.06, rng.Range(0.05, 0.08)));
        foreach (double baseY in rows)
            for (double x = offset; x < 1 + bay; x += bay)
                if (rng.Chance(0.7))
                    s.Add(Car(x + bay * 0.06, baseY - rng.Range(0, 0.02), bay * rng.Range(0.86, 0.94)));
        if (rng.Chance(0.25))
            s.Add(Person(rng.Range(0.05, 0.95), rng.Range(horizon + 0.3, 0.99), rng.Range(0.2, 0.3)));
        if (rng.Chance(0.1))
            s.Add(Box(rng.Range(0.05, 0.85), rng.Range(horizon + 0.2, 0.85), rng.Range(0.06, 0.1)));
        return s;
    }

    ProbeScene BuildForest()
    {
        var s = new ProbeScene(ProbeVocabulary.Forest);
        double horizon = rng.Chance(0.2) ? 0 : rng.Range(0.06, 0.3);
        if (horizon > 0)
            AddSky(s, horizon, sun: 0.1, clouds: 1);
        s.Add(new SceneObject(0, -9).Add(new RectShape(0, horizon, 1, 1), GrassGround()));
        int trees = rng.Int(5, 10);
        foreach (double x in Spread(trees, -0.05, 1.05))
        {
            double baseY = rng.Range(horizon + 0.25, 1.1);
            s.Add(Tree(x, baseY, rng.Range(0.3, 0.6) * (0.6 + 0.6 * baseY)));
        }
        if (rng.Chance(0.15))
            s.Add(Person(rng.Range(0.1, 0.9), rng.Range(0.7, 0.99), rng.Range(0.22, 0.32)));
        return s;
    }

    ProbeScene BuildGarden()
    {
        var s = new ProbeScene(ProbeVocabulary.Garden);
        double horizon = rng.Range(0.28, 0.45);
        AddSky(s, horizon, sun: 0.3, clouds: 2);
        s.Add(new SceneObject(0, -9).Add(new RectShape(0, horizon, 1, 1), GrassGround()));
        bool house = rng.Chance(0.55), fence = !house || rng.Chance(0.6);
        double fenceBase = horizon + rng.Range(0.14, 0.24);
        if (house)
        {
            double w = rng.Range(0.3, 0.45);
            s.Add(House(rng.Range(-0.05, 0.95 - w), fenceBase - rng.Range(0.01, 0.05), w, w * rng.Range(0.7, 0.95)));
        }
        if (fence)
            s.Add(Fence(rng.Range(-0.1, 0.2), rng.Range(0.8, 1.1), fenceBase, rng.Range(0.1, 0.16)));
        foreach (double x in Spread(rng.Int(1, 3), 0.0, 1.0))
            s.Add(Tree(x, rng.Range(fenceBase + 0.05, 0.95), rng.Range(0.3, 0.5)));
        for (int i = rng.Chance(0.55) ? rng.Int(1, 3) : 0; i > 0; i--)
        {
            double r = rng.Range(0.035, 0.07);
            s.Add(Ball(rng.Range(0.05, 0.95), rng.Range(fenceBase + 0.05, 1 - r), r));
        }
        if (rng.Chance(0.4))
            s.Add(Person(rng.Range(0.1, 0.9), rng.Range(fenceBase + 0.15, 0.99), rng.Range(0.24, 0.36)));
        if (rng.Chance(0.15))
            s.Add(Box(rng.Range(0.05, 0.85), rng.Range(fenceBase, 0.85), rng.Range(0.07, 0.12)));
        return s;
    }

    ProbeScene BuildBeach()
    {
        var s = new ProbeScene(Beach);
        double horizon = rng.Range(0.22, 0.42);
        AddSky(s, horizon, sun: 0.5, clouds: 2);
        double shore = horizon + rng.Range(0.2, 0.34);
        var sea = new SceneObject(Sea, -8);
        sea.Add(new RectShape(0, horizon, 1, shore + 0.06), new WaterFill(
            Paint(Blue), rng.Chance(0.5) ? Paint(White) : Paint(Blue), rng.Range(0.03, 0.05), horizon, rng.Seed32()));
        s.Add(sea);
        // Sand up to a gently curved shoreline.
        var edge = new List<(double, double)> { (1.01, 1.01), (-0.01, 1.01) };
        double amp = rng.Range(0.005, 0.03), freq = rng.Range(4, 10), phase = rng.Range(0, 6.3);
        for (int i = 0; i <= 24; i++)
        {
            double x = -0.01 + i * 1.02 / 24;
            edge.Add((x, shore + amp * Math.Sin(x * freq + phase)));
        }
        s.Add(new SceneObject(0, -7).Add(new PolygonShape([.. edge]),
            new SandFill(Paint(Yellow), Paint(rng.Pick(new[] { Brown, Orange })), px, rng.Seed32())));
        for (int i = rng.Chance(0.85) ? rng.Int(1, 4) : 0; i > 0; i--)
        {
            double l = rng.Range(0.16, 0.3);
            s.Add(Boat(rng.Range(-0.05, 0.95 - l), rng.Range(horizon + 0.05, shore - 0.01), l));
        }
        for (int i = rng.Int(0, 3); i > 0; i--)
            s.Add(Person(rng.Range(0.05, 0.95), rng.Range(shore + 0.15, 0.99), rng.Range(0.2, 0.34)));
        for (int i = rng.Chance(0.6) ? rng.Int(1, 3) : 0; i > 0; i--)
        {
            double r = rng.Range(0.035, 0.07);
            s.Add(Ball(rng.Range(0.05, 0.95), rng.Range(shore + 0.05, 1 - r), r));
        }
        if (rng.Chance(0.3))
            s.Add(Star(rng.Range(0.05, 0.95), rng.Range(shore + 0.06, 0.95), rng.Range(0.03, 0.06), new[] { Orange, Red, Pink, Purple }));
        if (rng.Chance(0.1))
            s.Add(Box(rng.Range(0.05, 0.85), rng.Range(shore, 0.85), rng.Range(0.06, 0.1)));
        return s;
    }

    ProbeScene BuildPlayroom()
    {
        var s = new ProbeScene(Playroom);
        double floorTop = rng.Range(0.3, 0.55);
        var wall = rng.Chance(0.35)
            ? Solid(rng.Pick(AllColors), gy: rng.Range(-20, 20))
            : Texture(rng.Pick(new[] { Striped, Dotted, Zigzagged, Grid, Noisy, Striped }), rng.Range(0.05, 0.1));
        s.Add(new SceneObject(0, -10).Add(new RectShape(0, 0, 1, floorTop + 0.01), wall));
        double r = rng.Double();
        Fill floor = r < 0.35 ? Texture(Chequered, rng.Range(0.06, 0.12))
            : r < 0.55 ? Texture(rng.Pick(new[] { Grid, Striped, Noisy }), rng.Range(0.05, 0.1))
            : r < 0.85 ? Wood(0, rng.Range(0.06, 0.1))
            : Solid(rng.Pick(AllColors), gy: 30);
        s.Add(new SceneObject(Floor, -9).Add(new RectShape(0, floorTop, 1, 1), floor));
        if (rng.Chance(0.35))
            s.Add(Star(rng.Range(0.1, 0.9), rng.Range(0.08, floorTop - 0.08), rng.Range(0.04, 0.08), BrightColors, depth: -5));
        for (int i = rng.Int(3, 8); i > 0; i--)
        {
            double k = rng.Double();
            double baseY = rng.Range(floorTop + 0.06, 1.0);
            double scale = 0.6 + 0.6 * baseY;
            if (k < 0.35)
            {
                double rad = rng.Range(0.04, 0.09) * scale;
                s.Add(Ball(rng.Range(0.05, 0.95), baseY - rad, rad));
            }
            else if (k < 0.65)
            {
                double side = rng.Range(0.08, 0.15) * scale;
                s.Add(Box(rng.Range(-0.02, 0.95 - side), baseY - side * 1.3, side));
            }
            else if (k < 0.85)
                s.Add(Star(rng.Range(0.05, 0.95), baseY - 0.06 * scale, rng.Range(0.04, 0.08) * scale, BrightColors));
            else
                s.Add(Car(rng.Range(-0.05, 0.85), baseY, rng.Range(0.14, 0.22) * scale));
        }
        if (rng.Chance(0.2))
            s.Add(Person(rng.Range(0.1, 0.9), rng.Range(floorTop + 0.3, 0.99), rng.Range(0.3, 0.45)));
        return s;
    }

    // ---- backgrounds -----------------------------------------------------------------------------------

    void AddSky(ProbeScene s, double horizon, double sun, int clouds)
    {
        s.Add(new SceneObject(Sky, -10).Add(new RectShape(0, 0, 1, horizon + 0.01),
            Solid(rng.Pick(SkyColors), bias: -25, gy: 50 / horizon)));
        if (rng.Chance(sun))
        {
            double r = rng.Range(0.04, 0.08);
            var o = new SceneObject(ProbeVocabulary.Sun, -6);
            double cx = rng.Range(0.1, 0.9), cy = rng.Range(r, Math.Max(r + 0.01, horizon - r));
            o.Add(EllipseShape.Circle(cx, cy, r), new RadialFill(Paint(rng.Pick(new[] { Yellow, Yellow, Orange, White })), cx, cy, r, 15));
            s.Add(o);
        }
        for (int i = rng.Int(0, clouds + 1); i > 0; i--)
        {
            double w = rng.Range(0.12, 0.25), cx = rng.Range(0, 1), cy = rng.Range(0.05, Math.Max(0.06, horizon - 0.06));
            var o = new SceneObject(Cloud, -5);
            var fill = Solid(rng.Pick(new[] { White, White, Grey }), gy: -150, oy: cy);
            for (int k = rng.Int(3, 5); k > 0; k--)
                o.Add(new EllipseShape(cx + rng.Range(-0.5, 0.5) * w, cy + rng.Range(-0.3, 0.3) * w * 0.3,
                    w * rng.Range(0.25, 0.4), w * rng.Range(0.15, 0.25)), fill);
            s.Add(o);
        }
    }

    void AddRoad(ProbeScene s, double top)
    {
        var road = new SceneObject(Road, -8);
        road.Add(new RectShape(0, top, 1, 1), Asphalt());
        var line = Solid(rng.Pick(new[] { White, Yellow }));
        double mid = top + (1 - top) * rng.Range(0.45, 0.6), h = Math.Max(0.012, 1.6 * px);
        double dash = rng.Range(0.08, 0.14);
        for (double x = rng.Range(-dash, 0); x < 1; x += 2 * dash)
            road.Add(new RectShape(x, mid - h / 2, x + dash, mid + h / 2), line);
        s.Add(road);
    }

    Fill Asphalt() => Solid(rng.Pick(new[] { Grey, Grey, Black }), blotch: 8, cell: Math.Max(0.012, 1.1 * px));

    Fill Pavement()
    {
        double r = rng.Double();
        return r < 0.45 ? Solid(rng.Pick(new[] { Grey, White, Brown }), blotch: 6)
            : r < 0.75 ? Texture(rng.Pick(new[] { Chequered, Grid }), rng.Range(0.04, 0.07))
            : new BrickFill(Paint(rng.Pick(new[] { Red, Brown, Grey })), Paint(White), rng.Range(0.02, 0.035), 0, 0, px, rng.Seed32());
    }

    Fill GrassGround()
    {
        var light = Paint(Green);
        var dark = Paint(Green);
        return new GrassFill(light, dark, px, rng.Seed32());
    }

    // ---- objects ---------------------------------------------------------------------------------------

    SceneObject House(double x, double baseY, double w, double h)
    {
        var o = new SceneObject(ProbeVocabulary.House, baseY);
        double top = baseY - h;
        double r = rng.Double();
        int wallColor;
        Fill wall;
        if (r < 0.4)
        {
            wallColor = rng.Pick(new[] { Red, Brown, Orange });
            wall = new BrickFill(Paint(wallColor), Paint(rng.Pick(new[] { Grey, White })), rng.Range(0.022, 0.04), x, top, px, rng.Seed32());
        }
        else if (r < 0.55)
        {
            wallColor = Brown;
            wall = Wood(0, rng.Range(0.03, 0.05), x, top);
        }
        else
        {
            wallColor = rng.Pick(new[] { White, Yellow, Pink, Grey, Red, Blue, Orange, Green, Purple });
            wall = Solid(wallColor, gy: rng.Range(-60, 60), oy: top + h / 2);
        }
        o.Add(new RectShape(x, top, x + w, baseY), wall, Wall);

        double roofH = w * rng.Range(0.3, 0.55), eave = w * rng.Range(0.04, 0.12);
        int roofColor = Other(new[] { Red, Brown, Black, Grey, Blue, Orange, Purple, Green }, wallColor);
        Fill roof = rng.Chance(0.15) ? Metal(x, top) : Solid(roofColor, gx: rng.Range(-60, 60), ox: x + w / 2);
        var roofShape = rng.Chance(0.75)
            ? new PolygonShape((x - eave, top + 0.005), (x + w + eave, top + 0.005), (x + w / 2, top - roofH))
            : new PolygonShape((x - eave, top + 0.005), (x + w + eave, top + 0.005), (x + w * 0.8, top - roofH * 0.7), (x + w * 0.2, top - roofH * 0.7));
        o.Add(roofShape, roof, Roof);

        int doorSlot = rng.Int(0, 3);
        double slot = w / 3;
        double doorW = w * rng.Range(0.16, 0.22), doorH = h * rng.Range(0.42, 0.56);
        double doorX = x + slot * doorSlot + (slot - doorW) / 2;
        Fill door = rng.Chance(0.4) && wallColor != Brown ? Wood(Math.PI / 2, rng.Range(0.02, 0.04), doorX, baseY)
            : Solid(Other(new[] { Brown, Red, Blue, Green, Black, Purple, Yellow, White }, wallColor), gy: -40, oy: baseY);
        o.Add(new RectShape(doorX, baseY - doorH, doorX + doorW, baseY), door, Door);

        double win = Math.Min(w * rng.Range(0.17, 0.24), h * 0.3);
        var windowFill = WindowFill(wallColor, x, top);
        int placed = 0;
        for (int k = 0; k < 3; k++)
        {
            if (k == doorSlot || (!rng.Chance(0.75) && !(placed == 0 && k == (doorSlot == 2 ? 1 : 2))))
                continue;
            double wx = x + slot * k + (slot - win) / 2, wy = top + h * rng.Range(0.14, 0.22);
            o.Add(new RectShape(wx, wy, wx + win, wy + win), windowFill, Window);
            placed++;
        }
        return o;
    }

    Fill WindowFill(int wallColor, double ox, double oy)
    {
        int pane = Other(new[] { Blue, Black, Yellow, White }, wallColor);
        if (!rng.Chance(0.5))
            return Solid(pane, gy: -80, oy: oy);
        int frame = Other(new[] { White, Black, Brown, Grey }, pane);
        return new TextureFill(Grid, Paint(frame), Paint(pane), Math.Max(rng.Range(0.025, 0.04), 4 * px), 0, ox, oy, px, 0);
    }

    SceneObject Tree(double cx, double baseY, double size)
    {
        var o = new SceneObject(ProbeVocabulary.Tree, baseY);
        bool pine = rng.Chance(0.45);
        double tw = size * rng.Range(0.09, 0.14), th = size * (pine ? rng.Range(0.25, 0.35) : rng.Range(0.45, 0.6));
        double r = rng.Double();
        Fill trunk = r < 0.5 ? Wood(Math.PI / 2, rng.Range(0.015, 0.03), cx, baseY)
            : r < 0.9 ? Solid(Brown, blotch: 10, cell: 0.015, seed: rng.Seed32())
            : Solid(rng.Pick(new[] { Black, Grey }), gx: 200, ox: cx);
        o.Add(new RectShape(cx - tw / 2, baseY - th, cx + tw / 2, baseY), trunk, Trunk);

        int leaves = rng.Chance(0.75) ? Green : rng.Pick(new[] { Orange, Yellow, Red });
        var crown = Solid(leaves, blotch: 18, cell: Math.Max(0.02, 2 * px), seed: rng.Seed32(), gy: 80, oy: baseY - size);
        if (pine)
        {
            int tiers = rng.Int(2, 4);
            double bottom = baseY - th * 0.8, top = baseY - size * rng.Range(1.0, 1.2);
            double tierH = (bottom - top) / tiers * 1.5;
            for (int k = 0; k < tiers; k++)
            {
                double tb = bottom - k * (bottom - top - tierH) / Math.Max(1, tiers - 1);
                double half = size * 0.32 * (1 - 0.22 * k);
                o.Add(new PolygonShape((cx - half, tb), (cx + half, tb), (cx, tb - tierH)), crown, Crown);
            }
        }
        else
        {
            double rc = size * rng.Range(0.26, 0.36), cy = baseY - th - rc * 0.55;
            for (int k = rng.Int(1, 4); k > 0; k--)
                o.Add(new EllipseShape(cx + rng.Range(-0.3, 0.3) * rc, cy + rng.Range(-0.25, 0.2) * rc,
                    rc * rng.Range(0.8, 1.05), rc * rng.Range(0.75, 1.0)), crown, Crown);
        }
        return o;
    }

    SceneObject Car(double x, double baseY, double l)
    {
        var o = new SceneObject(ProbeVocabulary.Car, baseY);
        double r = l * rng.Range(0.1, 0.13);
        double bottom = baseY - r * 0.8, top = bottom - l * rng.Range(0.17, 0.23), cabin = l * rng.Range(0.14, 0.19);
        bool metal = rng.Chance(0.25);
        int bodyColor = metal ? Grey : rng.Pick(new[] { Red, Blue, White, Yellow, Green, Orange, Grey, Purple, Pink, Brown });
        Fill body = metal ? new MetalFill(Paint(Grey), Paint(White), Math.PI / 2, l * 0.25, x, top, px, rng.Seed32())
            : Solid(bodyColor, gy: -120, oy: (top + bottom) / 2);
        o.Add(new RectShape(x, top, x + l, bottom), body, Body);
        double c0 = rng.Range(0.15, 0.22), c1 = rng.Range(0.78, 0.85);
        o.Add(new PolygonShape((x + c0 * l, top + 0.002), (x + c1 * l, top + 0.002), (x + (c1 - 0.14) * l, top - cabin),
            (x + (c0 + 0.12) * l, top - cabin)), body, Body);
        var glass = Solid(Other(new[] { Blue, White, Black, Grey }, bodyColor), gy: -200, oy: top);
        double inset = cabin * 0.2, pillar = Math.Max(0.03 * l, 1.2 * px), mid = x + l * (c0 + c1) / 2;
        double wt = top - cabin + inset, wb = top;
        o.Add(new PolygonShape((x + (c0 + 0.05) * l, wb), (mid - pillar / 2, wb), (mid - pillar / 2, wt), (x + (c0 + 0.14) * l, wt)), glass, CarWindow);
        o.Add(new PolygonShape((mid + pillar / 2, wb), (x + (c1 - 0.05) * l, wb), (x + (c1 - 0.16) * l, wt), (mid + pillar / 2, wt)), glass, CarWindow);
        var tyre = Solid(Black);
        var hub = Solid(rng.Pick(new[] { Grey, White }));
        foreach (double f in new[] { rng.Range(0.17, 0.25), rng.Range(0.75, 0.83) })
        {
            double wx = x + f * l, wy = baseY - r;
            o.Add(EllipseShape.Circle(wx, wy, r), tyre, Wheel);
            o.Add(EllipseShape.Circle(wx, wy, r * 0.45), hub, Wheel);
        }
        return o;
    }

    SceneObject Person(double cx, double baseY, double h)
    {
        var o = new SceneObject(ProbeVocabulary.Person, baseY);
        int trousers = rng.Pick(new[] { Blue, Black, Brown, Grey, Purple, Green });
        var legs = Solid(trousers, gy: -60, oy: baseY);
        double legW = h * rng.Range(0.07, 0.095), hip = baseY - h * 0.45, stance = h * rng.Range(0.0, 0.1);
        o.Add(new PolygonShape((cx - 0.11 * h, hip), (cx - 0.11 * h + legW, hip), (cx - 0.11 * h + legW - stance, baseY), (cx - 0.11 * h - stance, baseY)), legs, Leg);
        o.Add(new PolygonShape((cx + 0.11 * h - legW, hip), (cx + 0.11 * h, hip), (cx + 0.11 * h + stance, baseY), (cx + 0.11 * h - legW + stance, baseY)), legs, Leg);

        double shoulder = baseY - h * 0.8, tw = h * rng.Range(0.12, 0.15);
        Fill torso = rng.Chance(0.45)
            ? Texture(rng.Pick(new[] { Striped, Dotted, Chequered, Zigzagged, Noisy }), Math.Max(h * 0.12, 4 * px), cx, shoulder)
            : Solid(Other(AllColors, trousers), gy: -50, oy: shoulder);
        o.Add(new RectShape(cx - tw, shoulder, cx + tw, hip + h * 0.03), torso, Torso);

        int skin = rng.Pick(SkinColors);
        Fill arms = rng.Chance(0.5) ? torso : Solid(skin);
        double aw = h * 0.065;
        o.Add(new RectShape(cx - tw - aw, shoulder + h * 0.01, cx - tw, shoulder + h * rng.Range(0.28, 0.33)), arms, Arm);
        if (rng.Chance(0.3))
            o.Add(new PolygonShape((cx + tw, shoulder + 0.01 * h), (cx + tw + aw, shoulder + 0.04 * h),
                (cx + tw + 0.18 * h, shoulder - 0.2 * h), (cx + tw + 0.12 * h, shoulder - 0.23 * h)), arms, Arm);
        else
            o.Add(new RectShape(cx + tw, shoulder + h * 0.01, cx + tw + aw, shoulder + h * rng.Range(0.28, 0.33)), arms, Arm);

        double hr = h * rng.Range(0.08, 0.1), hy = shoulder - hr * 0.9;
        o.Add(EllipseShape.Circle(cx, hy, hr), new RadialFill(Paint(skin), cx, hy, hr, 20), Head);
        return o;
    }

    SceneObject Ball(double cx, double cy, double r)
    {
        var o = new SceneObject(ProbeVocabulary.Ball, cy + r);
        Fill fill = rng.Chance(0.55)
            ? new RadialFill(Paint(rng.Pick(BrightColors)), cx, cy, r)
            : Texture(rng.Pick(new[] { Striped, Chequered, Dotted, Zigzagged }), Math.Max(r * rng.Range(0.5, 0.8), 4 * px), cx, cy);
        o.Add(EllipseShape.Circle(cx, cy, r), fill);
        return o;
    }

    SceneObject Box(double x, double top, double side)
    {
        double d = side * rng.Range(0.25, 0.35);
        var o = new SceneObject(ProbeVocabulary.Box, top + d + side);
        double r = rng.Double();
        Fill front, lid, flank;
        if (r < 0.45)
        {
            var paint = Paint(rng.Pick(AllColors));
            front = new SolidFill(paint);
            lid = new SolidFill(paint, bias: 28);
            flank = new SolidFill(paint, bias: -28);
        }
        else if (r < 0.7)
            front = lid = flank = Wood(rng.Chance(0.5) ? 0 : Math.PI / 2, Math.Max(side * 0.3, 5 * px), x, top);
        else if (r < 0.8)
            front = lid = flank = Metal(x, top);
        else
        {
            front = Texture(rng.Pick(ToyTextures), Math.Max(side * 0.3, 4 * px), x, top);
            var paint = Paint(rng.Pick(AllColors));
            lid = new SolidFill(paint, bias: 25);
            flank = new SolidFill(paint, bias: -25);
        }
        o.Add(new PolygonShape((x, top + d), (x + d, top), (x + side + d, top), (x + side, top + d)), lid);
        o.Add(new PolygonShape((x + side, top + d), (x + side + d, top), (x + side + d, top + side), (x + side, top + side + d)), flank);
        o.Add(new RectShape(x, top + d, x + side, top + d + side), front);
        return o;
    }

    SceneObject Star(double cx, double cy, double radius, int[] colors, double? depth = null)
    {
        var o = new SceneObject(ProbeVocabulary.Star, depth ?? cy + radius);
        double turn = rng.Range(0, 2 * Math.PI / 5), inner = radius * rng.Range(0.4, 0.5);
        var points = new (double, double)[10];
        for (int k = 0; k < 10; k++)
        {
            double a = turn + k * Math.PI / 5 - Math.PI / 2, rr = k % 2 == 0 ? radius : inner;
            points[k] = (cx + rr * Math.Cos(a), cy + rr * Math.Sin(a));
        }
        Fill fill = rng.Chance(0.65)
            ? new RadialFill(Paint(rng.Pick(colors)), cx, cy, radius, 25)
            : Texture(rng.Pick(ToyTextures), Math.Max(radius * 0.45, 4 * px), cx, cy);
        o.Add(new PolygonShape(points), fill);
        return o;
    }

    SceneObject Boat(double x, double waterY, double l)
    {
        var o = new SceneObject(ProbeVocabulary.Boat, waterY);
        double deck = waterY - l * rng.Range(0.12, 0.17);
        Fill hull = rng.Chance(0.45) ? Wood(0, Math.Max(l * 0.08, 4 * px), x, deck)
            : Solid(rng.Pick(new[] { White, Red, Brown, Yellow, Black, Orange }), gy: -80, oy: deck);
        o.Add(new PolygonShape((x, deck), (x + l, deck), (x + l * 0.85, waterY + 0.01), (x + l * 0.15, waterY + 0.01)), hull, Hull);
        double mastX = x + l * rng.Range(0.42, 0.55), mastTop = deck - l * rng.Range(0.6, 0.85), mw = Math.Max(l * 0.045, 1.5 * px);
        o.Add(new RectShape(mastX - mw / 2, mastTop, mastX + mw / 2, deck), Solid(rng.Pick(new[] { Brown, Grey, Black })), Mast);
        Fill sail = rng.Chance(0.3) ? Texture(Striped, Math.Max(l * 0.12, 4 * px), mastX, mastTop)
            : Solid(rng.Pick(new[] { White, White, Red, Yellow, Orange, Blue }), gx: -60, ox: mastX);
        double sailEnd = rng.Chance(0.5) ? mastX + l * 0.4 : mastX - l * 0.4, gap = mw / 2 * Math.Sign(sailEnd - mastX);
        o.Add(new PolygonShape((mastX + gap, mastTop + l * 0.05), (mastX + gap, deck - l * 0.05), (sailEnd, deck - l * 0.05)), sail, Sail);
        return o;
    }

    SceneObject Fence(double x0, double x1, double baseY, double h)
    {
        var o = new SceneObject(ProbeVocabulary.Fence, baseY);
        double r = rng.Double();
        Fill fill = r < 0.55 ? Wood(Math.PI / 2, rng.Range(0.015, 0.025), x0, baseY)
            : Solid(rng.Pick(r < 0.9 ? new[] { White, Brown, Grey } : new[] { Red, Blue, Green }), gy: -60, oy: baseY);
        double step = rng.Range(0.05, 0.075), pw = step * rng.Range(0.5, 0.65);
        o.Add(new RectShape(x0, baseY - h * 0.75, x1, baseY - h * 0.63), fill);
        o.Add(new RectShape(x0, baseY - h * 0.35, x1, baseY - h * 0.23), fill);
        for (double x = x0; x < x1 - pw; x += step)
            o.Add(new PolygonShape((x, baseY), (x + pw, baseY), (x + pw, baseY - h * 0.85), (x + pw / 2, baseY - h), (x, baseY - h * 0.85)), fill);
        return o;
    }

    // ---- fills -----------------------------------------------------------------------------------------

    Paint Paint(int color) => ProbePalette.Draw(rng, color);

    Fill Solid(int color, int bias = 0, double gx = 0, double gy = 0, double ox = 0, double oy = 0, int blotch = 0, double cell = 0.03, uint seed = 0) =>
        new SolidFill(Paint(color), bias, gx, gy, ox, oy, blotch, cell, seed);

    /// <summary>A texture of two paints of different colours.</summary>
    Fill Texture(int texture, double period, double ox = 0, double oy = 0)
    {
        int a = rng.Pick(AllColors);
        int b = Other(AllColors, a);
        double angle = texture is Striped or Zigzagged ? rng.Pick(new[] { 0, Math.PI / 4, Math.PI / 2, 3 * Math.PI / 4 })
            : texture is Chequered && rng.Chance(0.3) ? Math.PI / 4 : 0;
        return new TextureFill(texture, Paint(a), Paint(b), Math.Max(period, 4 * px), angle, ox, oy, px, rng.Seed32());
    }

    Fill Wood(double angle, double grain, double ox = 0, double oy = 0)
    {
        var dark = Paint(Brown);
        var light = rng.Chance(0.8) ? Paint(Brown) : Paint(Orange);
        grain = Math.Max(grain, 3 * px);
        return new WoodFill(light, dark, angle, grain, grain * rng.Range(2.5, 4), ox, oy, px, rng.Range(0, 6.3));
    }

    Fill Metal(double ox, double oy) =>
        new MetalFill(Paint(Grey), Paint(White), rng.Range(0, Math.PI), rng.Range(0.08, 0.2), ox, oy, px, rng.Seed32());

    /// <summary>A colour from <paramref name="colors"/> other than <paramref name="not"/>.</summary>
    int Other(int[] colors, int not)
    {
        int c;
        do c = rng.Pick(colors); while (c == not && colors.Any(k => k != not));
        return c;
    }

    /// <summary><paramref name="n"/> positions spread over [lo, hi): one per equal slot, jittered.</summary>
    double[] Spread(int n, double lo, double hi)
    {
        double slot = (hi - lo) / n;
        var xs = new double[n];
        for (int i = 0; i < n; i++)
            xs[i] = lo + slot * (i + rng.Range(0.0, 0.7));
        return xs;
    }
}
