# Imports a building.glb or street.glb into Blender (the "a real client" check) and either
# reports what Blender made of it, or renders it.
#   blender -b --python .ci/blender-building.py -- building.glb check
#       prints one line "BUILDING {json}": the mesh objects' names, the scene's bounding box
#       (Blender's axes: x, y = -glTF z, z = glTF y), and, after joining every mesh and merging
#       vertices closer than 0.1 mm, the edges with one face (an open-bottom box has exactly the
#       four ground edges) and the lowest and highest z among them.
#   blender -b --python .ci/blender-building.py -- street.glb render out.png
#       a three-quarter view from the street, Cycles, for the docs.
import numpy
if not hasattr(numpy, "bool"): numpy.bool = bool
import bpy, bmesh, json, math, sys, mathutils
args = sys.argv[sys.argv.index("--") + 1:]
path, mode = args[0], args[1]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=path)
meshes = [o for o in bpy.context.scene.objects if o.type == 'MESH']
corners = [o.matrix_world @ mathutils.Vector(c) for o in meshes for c in o.bound_box]
lo = [min(c[k] for c in corners) for k in range(3)]
hi = [max(c[k] for c in corners) for k in range(3)]

if mode == "check":
    names = sorted(o.name for o in meshes)
    bpy.ops.object.select_all(action='DESELECT')
    for o in meshes:
        o.select_set(True)
    bpy.context.view_layer.objects.active = meshes[0]
    bpy.ops.object.join()
    joined = bpy.context.view_layer.objects.active
    bm = bmesh.new()
    bm.from_mesh(joined.data)
    bm.transform(joined.matrix_world)
    bmesh.ops.remove_doubles(bm, verts=bm.verts, dist=1e-4)
    boundary = [e for e in bm.edges if len(e.link_faces) == 1]
    zs = [v.co.z for e in boundary for v in e.verts]
    report = {
        "meshes": names,
        "size": [hi[k] - lo[k] for k in range(3)],
        "min": lo,
        "boundary_edges": len(boundary),
        "boundary_z": [min(zs), max(zs)] if zs else None,
    }
    print("BUILDING " + json.dumps(report))
    sys.exit(0)

scene = bpy.context.scene
out = args[2]
centre = [(lo[k] + hi[k]) / 2 for k in range(3)]
span = max(hi[0] - lo[0], hi[2] - lo[2])
cam = bpy.data.cameras.new("cam")
cam_obj = bpy.data.objects.new("cam", cam)
scene.collection.objects.link(cam_obj)
cam_obj.location = (centre[0] - span * 0.3, lo[1] - span * 0.95, hi[2] * 1.1)
direction = mathutils.Vector((centre[0] + span * 0.05, centre[1], hi[2] * 0.4)) - cam_obj.location
cam_obj.rotation_euler = direction.to_track_quat('-Z', 'Y').to_euler()
cam.lens = 30
scene.camera = cam_obj
sun = bpy.data.lights.new("sun", type='SUN')
sun.energy = 4.0
sun_obj = bpy.data.objects.new("sun", sun)
sun_obj.rotation_euler = (math.radians(55), 0, math.radians(-35))
scene.collection.objects.link(sun_obj)
bpy.ops.mesh.primitive_plane_add(size=span * 4, location=(centre[0], centre[1], 0))
world = bpy.data.worlds.new("w"); scene.world = world
world.use_nodes = True
world.node_tree.nodes["Background"].inputs[0].default_value = (0.55, 0.65, 0.8, 1)
world.node_tree.nodes["Background"].inputs[1].default_value = 0.6
scene.render.engine = 'CYCLES'
scene.cycles.samples = 24
scene.cycles.use_denoising = False
scene.cycles.device = 'CPU'
scene.render.resolution_x = 960
scene.render.resolution_y = 480
scene.render.filepath = out
bpy.ops.render.render(write_still=True)
print("RENDERED", out)
