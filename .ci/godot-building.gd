# Godot 3 (a second real client of building.glb): loads the building that the editor imported and
# prints one line "BUILDING {json}" with the mesh nodes' names and the scene's bounding box in
# Godot's axes (glTF's: y up). From a project folder holding the glb:
#   godot3-server --path DIR --editor --quit      (imports it; tests/glb.rs stops it once done)
#   godot3-server --path DIR -s res://godot-building.gd
extends SceneTree

func _init():
	var scene = load("res://building.glb")
	if scene == null:
		print("BUILDING {\"error\": \"res://building.glb did not import\"}")
		quit()
		return
	var root = scene.instance()
	get_root().add_child(root)
	var names = []
	var box = null
	for node in _meshes(root):
		names.append(node.name)
		var part = node.global_transform.xform(node.get_aabb())
		box = part if box == null else box.merge(part)
	names.sort()
	var report = {"meshes": names}
	if box != null:
		report["size"] = [box.size.x, box.size.y, box.size.z]
		report["min"] = [box.position.x, box.position.y, box.position.z]
	print("BUILDING " + to_json(report))
	quit()

func _meshes(node):
	var found = []
	if node is MeshInstance:
		found.append(node)
	for child in node.get_children():
		found += _meshes(child)
	return found
